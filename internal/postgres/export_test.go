package postgres

import "context"

// MigrateTo applies the migrations up to version v only.
func MigrateTo(ctx context.Context, db *DB, v int) error { return db.migrate(ctx, v) }

// Exec runs one statement.
func Exec(ctx context.Context, db *DB, query string, args ...any) error {
	_, err := db.pool.Exec(ctx, query, args...)
	return err
}

// QueryStrings reads one row of strings.
func QueryStrings(ctx context.Context, db *DB, query string, args []any, dest ...*string) error {
	ptrs := make([]any, len(dest))
	for i := range dest {
		ptrs[i] = dest[i]
	}
	return db.pool.QueryRow(ctx, query, args...).Scan(ptrs...)
}
