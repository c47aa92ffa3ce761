package postgres

import "context"

// MigrateTo applies the migrations up to version v only.
func MigrateTo(ctx context.Context, db *DB, v int) error { return db.migrate(ctx, v) }

// Exec runs one statement.
func Exec(ctx context.Context, db *DB, query string, args ...any) error {
	_, err := db.pool.Exec(ctx, query, args...)
	return err
}
