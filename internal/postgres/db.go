// Package postgres is the production storage engine: the stores of package
// mangahub over PostgreSQL, through pgx used natively (no database/sql).
// Several MangaHub instances may share one database. Every exported store
// method is one transaction.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is a pool of connections to one PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	cas  *casBatcher // group commit of progress writes
}

// querier is what the pool and a transaction both offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open prepares a pool for url (postgres://… or key=value form; pool_*
// parameters such as pool_max_conns are honoured). It does not connect:
// connections are made on first use, so a server that is down right now
// does not stop the process from starting; Ping and Migrate tell.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "mangahub"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without one a request waits on an unreachable server for as long
		// as its context allows; a quick failure answers 503 sooner.
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	db.cas = &casBatcher{db: db}
	return db, nil
}

// Close closes every connection, waiting for those in use to be released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that a connection to the server can be used.
func (db *DB) Ping(ctx context.Context) error {
	return translate(ctx, db.pool.Ping(ctx))
}

// writeTx runs fn in one read-committed transaction and commits if fn
// returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return translate(ctx, pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{}, fn))
}

// stored is t as the database gives it back: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
