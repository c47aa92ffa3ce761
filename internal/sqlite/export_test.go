package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// HoldWriteLock starts a write transaction and keeps it open, holding the
// only write connection, until release is closed.
func HoldWriteLock(tb testing.TB, db *DB) (release chan<- struct{}, held <-chan struct{}) {
	rel, h, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.writeTx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`UPDATE manga SET description = description`); err != nil {
				return err
			}
			close(h)
			<-rel
			return nil
		})
	}()
	tb.Cleanup(func() {
		if err := <-done; err != nil {
			tb.Errorf("held write transaction: %v", err)
		}
	})
	return rel, h
}

// Pragma reads one pragma from the write pool and one from the read pool.
func Pragma(ctx context.Context, db *DB, name string) (write, read string, err error) {
	if err := db.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&write); err != nil {
		return "", "", err
	}
	if err := db.read.QueryRowContext(ctx, "PRAGMA "+name).Scan(&read); err != nil {
		return "", "", err
	}
	return write, read, nil
}

// MigrateTo applies the migrations up to version v only.
func MigrateTo(ctx context.Context, db *DB, v int) error { return db.migrate(ctx, v) }

// Exec runs one statement on the write connection.
func Exec(ctx context.Context, db *DB, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}

// QueryStrings reads one row of strings.
func QueryStrings(ctx context.Context, db *DB, query string, args []any, dest ...*string) error {
	ptrs := make([]any, len(dest))
	for i := range dest {
		ptrs[i] = dest[i]
	}
	return db.read.QueryRowContext(ctx, query, args...).Scan(ptrs...)
}

// SearchIndexFrom sets the catalog size from which searches use the
// trigram index (0: always), and has the next search count again.
func SearchIndexFrom(db *DB, n int) {
	db.largeCatalog.from = n
	db.largeCatalog.checked.Store(0)
}

// StringArray is the decoder of the JSON arrays the manga table holds.
func StringArray(js string) ([]string, error) { return stringArray(js) }

// BeforeCommit makes the group commit call fn before each batch commits;
// set it before any progress write.
func BeforeCommit(db *DB, fn func()) { db.puts.beforeCommit = fn }

// QueuedPuts counts the progress writes waiting for a batch.
func QueuedPuts(db *DB) int { return db.puts.queued() }

// SetCheckpoints sets the checkpointer's interval and the WAL length past
// which the committer completes a checkpoint, for databases opened before
// the test ends.
func SetCheckpoints(tb testing.TB, every time.Duration, frames int) {
	oldEvery, oldFrames := checkpointInterval, restartFrames
	checkpointInterval, restartFrames = every, frames
	tb.Cleanup(func() { checkpointInterval, restartFrames = oldEvery, oldFrames })
}
