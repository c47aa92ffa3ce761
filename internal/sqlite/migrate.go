package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/mangahub/mangahub/internal/migration"
)

// The numbers are shared with package postgres: migration N means the same
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

// dataSteps finish a migration in Go, in its transaction, where SQL cannot
// compute what the new schema holds (keys folded by the root's rules).
var dataSteps = map[int]func(ctx context.Context, tx *sql.Tx) error{
	4: rekeyUsers,
}

// Migrate applies the migrations not applied yet, each in its own
// transaction together with its schema_migrations row. Write transactions
// start with BEGIN IMMEDIATE, so two processes migrating the same file take
// turns and the second one finds the work done.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx, 0) }

// migrate applies the migrations up to version upTo (0: all of them); tests
// use it to build the schema an older binary left behind.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at INTEGER NOT NULL
		) STRICT`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if upTo > 0 && m.Version > upTo {
			break
		}
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
			var latest int
			if err := tx.QueryRowContext(ctx,
				`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
				return err
			}
			if latest > ms[len(ms)-1].Version {
				return fmt.Errorf("database schema version %d is newer than this binary knows (%d)",
					latest, ms[len(ms)-1].Version)
			}
			var applied bool
			if err := tx.QueryRowContext(ctx,
				`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&applied); err != nil {
				return err
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if step := dataSteps[m.Version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.Version, toMicros(now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
	}
	// The tables are there now: prepare the reads before the first request
	// needs them (a partial schema, upTo > 0, is for tests only).
	if upTo == 0 {
		if _, err := db.readStmts(ctx); err != nil {
			return fmt.Errorf("sqlite: prepare reads: %w", err)
		}
	}
	return nil
}
