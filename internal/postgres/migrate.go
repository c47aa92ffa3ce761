package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub/internal/migration"
)

// The numbers are shared with package sqlite: migration N means the same
// schema change in both engines.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

func loadMigrations() ([]migration.Migration, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return migration.Load(sub)
}

// migrationLock is the advisory lock key that serialises Migrate across
// every instance that starts against one database ("mangahub" in ASCII).
const migrationLock int64 = 0x6d616e6761687562

// dataSteps finish a migration in Go, in its transaction, where SQL cannot
// compute what the new schema holds (keys folded by the root's rules).
var dataSteps = map[int]func(ctx context.Context, tx pgx.Tx) error{
	4: rekeyUsers,
}

// Migrate applies the migrations not applied yet, each in its own
// transaction together with its schema_migrations row. Every transaction
// first takes a transaction-level advisory lock, so instances starting
// together take turns, and the lock can never outlive a dead connection.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx, 0) }

// migrate applies the migrations up to version upTo (0: all of them); tests
// use it to build the schema an older binary left behind.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	err = db.writeTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	newest := ms[len(ms)-1].Version
	for _, m := range ms {
		if upTo > 0 && m.Version > upTo {
			break
		}
		err := db.writeTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return err
			}
			var latest int
			if err := tx.QueryRow(ctx,
				`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
				return err
			}
			if latest > newest {
				return fmt.Errorf("database schema version %d is newer than this binary knows (%d)", latest, newest)
			}
			var applied bool
			if err := tx.QueryRow(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&applied); err != nil {
				return err
			}
			if applied {
				return nil
			}
			// Without arguments pgx uses the simple protocol, which runs a
			// whole file of statements at once.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if step := dataSteps[m.Version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}
