// Package sqlite is the embedded storage engine, MangaHub's default: the
// stores of package mangahub over one SQLite file, through modernc.org/sqlite
// (pure Go, no cgo). Every exported store method is one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout bounds how long a connection waits for a lock held by another
// process (a `mangahub migrate` next to a running server, say).
const busyTimeout = 5 * time.Second

// DB is an open SQLite database. SQLite allows one writer at a time, so all
// writes go through a pool of exactly one connection, where they queue in Go
// instead of failing with SQLITE_BUSY; reads use a separate pool of read-only
// connections and, thanks to WAL, run in parallel with each other and with
// the writer.
type DB struct {
	write *sql.DB
	read  *sql.DB
	puts  *putBatcher // group commit of progress writes, on write
	reads preparedReads
	// shapes holds the statements of catalog searches, by shape.
	shapes shapeStmts
	// largeCatalog says whether searches should use the trigram index.
	largeCatalog catalogSize
	ckpt         *checkpointer
}

// querier is what both pools and their transactions offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens (creating if needed) the database file at path. The directory
// must exist. ":memory:" gives a private in-memory database, served by a
// single connection.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeout.Milliseconds())
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction that
	// reads before it writes cannot fail half-way on a lock upgrade. The
	// writer never checkpoints; the checkpointer does (checkpoint.go).
	write, err := sql.Open("sqlite", path+"?"+pragmas+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"+walPragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL, which is
	// persistent: the read-only connections opened later find it set.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if path == ":memory:" {
		// Every connection would be a different in-memory database.
		return &DB{write: write, read: write, puts: newPutBatcher(write), largeCatalog: catalogSize{from: defaultIndexFrom}}, nil
	}
	read, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt, err := sql.Open("sqlite", path+"?"+pragmas+walPragmas)
	if err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	puts := newPutBatcher(write)
	return &DB{write: write, read: read, puts: puts, ckpt: startCheckpointer(ckpt, &puts.restart),
		largeCatalog: catalogSize{from: defaultIndexFrom}}, nil
}

// walPragmas hand WAL checkpoints to the checkpointer (checkpoint.go).
var walPragmas = fmt.Sprintf("&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(%d)", walSizeLimit)

// Close closes both pools.
func (db *DB) Close() error {
	var err error
	if db.ckpt != nil {
		err = db.ckpt.close()
	}
	db.puts.close()
	db.reads.close()
	db.shapes.close()
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that both pools can reach the database file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return translate(ctx, err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return translate(ctx, err)
	}
	return nil
}

// readStmts returns the prepared read statements (see preparedReads).
func (db *DB) readStmts(ctx context.Context) (*readStmts, error) {
	return db.reads.get(ctx, db.read)
}

// writeTx runs fn in one write transaction and commits if fn returns nil.
// fn must not use the DB's pools itself: the only write connection is busy.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return inTx(ctx, db.write, fn)
}

func inTx(ctx context.Context, pool *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return translate(ctx, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return translate(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return translate(ctx, err)
	}
	return nil
}

// now is the server time in the form the database keeps: UTC, microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// stored is t as the database gives it back.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
