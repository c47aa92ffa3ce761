package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mangahub/mangahub"
)

// ProgressStore persists reading progress in user_progress.
type ProgressStore struct{ db *DB }

var (
	_ mangahub.ProgressStore       = (*ProgressStore)(nil)
	_ mangahub.ProgressBatchWriter = (*ProgressStore)(nil)
)

// NewProgressStore returns the progress records of db.
func NewProgressStore(db *DB) *ProgressStore { return &ProgressStore{db: db} }

const progressColumns = `user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted`

// The statements of every progress update, prepared once (the read by
// preparedReads, the writes by the committer in batch.go).
const (
	findProgressSQL   = `SELECT ` + progressColumns + ` FROM user_progress WHERE user_id = ? AND manga_id = ?`
	insertProgressSQL = `
		INSERT INTO user_progress (` + progressColumns + `, direct)
		VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?)
		ON CONFLICT (user_id, manga_id) DO NOTHING`
	// updateProgressSQL moves the record from the state a change was
	// computed from (version and tombstone flag) to the change.
	updateProgressSQL = `
		UPDATE user_progress
		SET current_chapter = ?, status = ?, last_read_at = ?, updated_at = ?, version = ?, deleted = ?, direct = ?
		WHERE user_id = ? AND manga_id = ? AND version = ? AND deleted = ?`
	// batchProgressSQL is the newer-wins upsert of a write-behind flush,
	// for a record whose stored state (if any) is not a diverged direct
	// write (checked first, in the same transaction).
	batchProgressSQL = `
		INSERT INTO user_progress (` + progressColumns + `, direct)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, 0
		WHERE EXISTS (SELECT 1 FROM manga WHERE id = ?2) AND EXISTS (SELECT 1 FROM users WHERE id = ?1)
		ON CONFLICT (user_id, manga_id) DO UPDATE SET
			current_chapter = excluded.current_chapter, status = excluded.status,
			last_read_at = excluded.last_read_at, updated_at = excluded.updated_at,
			version = excluded.version, deleted = excluded.deleted, direct = 0
		WHERE user_progress.version < excluded.version
			OR (user_progress.version = excluded.version AND user_progress.deleted < excluded.deleted)`
	// divergedProgressSQL returns the stored state when it is a direct
	// write past a queued history's base.
	divergedProgressSQL = `SELECT ` + progressColumns + ` FROM user_progress
		WHERE user_id = ? AND manga_id = ? AND direct AND version > ?`
)

// FindProgress returns one user's record (or tombstone) for one manga.
func (s *ProgressStore) FindProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	// One primary-key lookup is not worth interrupting, and a context without
	// a Done channel spares the driver a goroutine per query (every progress
	// update makes one).
	ctx = context.WithoutCancel(ctx)
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, translate(ctx, err)
	}
	p, err := scanProgress(r.progress.QueryRowContext(ctx, userID, mangaID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("progress")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	return p, nil
}

// libraryPageSQL is every library page in one statement: the filters that
// are not set are true for every row (?2: tombstones too, ?3: any status),
// so one prepared statement serves every request. The window counts the
// rows the filters keep, before the limit.
const libraryPageSQL = `SELECT ` + progressColumns + `, count(*) OVER ()
	FROM user_progress
	WHERE user_id = ?1 AND (?2 OR deleted = 0) AND (?3 = '' OR status = ?3)
	ORDER BY updated_at DESC, manga_id LIMIT ?4 OFFSET ?5`

// FindProgresses returns one page of a user's live records, most recently
// updated first, and how many there are in all, in one statement. A Limit
// of zero or less means all.
func (s *ProgressStore) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	r, err := s.db.readStmts(ctx)
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	limit := int64(-1)
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	offset := max(f.Offset, 0)
	rows, err := r.libraryPage.QueryContext(ctx, f.UserID, f.IncludeDeleted, string(f.Status), limit, offset)
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	defer rows.Close()
	var (
		page  = []*mangahub.Progress{}
		total int
	)
	for rows.Next() {
		p, err := scanProgress(rows, &total)
		if err != nil {
			return nil, 0, translate(ctx, err)
		}
		page = append(page, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate(ctx, err)
	}
	if len(page) == 0 && offset > 0 {
		// Past the end no row carries the total: count on its own (the
		// same filters, no page).
		err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM user_progress
			WHERE user_id = ?1 AND (?2 OR deleted = 0) AND (?3 = '' OR status = ?3)`,
			f.UserID, f.IncludeDeleted, string(f.Status)).Scan(&total)
		if err != nil {
			return nil, 0, translate(ctx, err)
		}
	}
	return page, total, nil
}

// ApplyProgress is a compare-and-set: version 1 inserts only when there is
// no record, any other change updates only the record in the state it was
// computed from. Either way one statement decides, inside the write
// transaction. The caller publishes.
//
// Concurrent calls share one transaction (group commit, see putBatcher):
// SQLite has one writer, and a commit per update would make the commit the
// ceiling of the whole sync service.
func (s *ProgressStore) ApplyProgress(ctx context.Context, ch mangahub.ProgressChange) (bool, error) {
	if ch.Progress == nil || ch.Progress.Version < 1 {
		return false, mangahub.Internal(fmt.Errorf("progress change without a version of at least 1"))
	}
	return false, s.db.puts.put(ctx, ch)
}

// applyProgressTx is one compare-and-set inside a write transaction, with the
// transaction's own insert and update statements. A failed statement (a
// foreign key, say) leaves the transaction usable for the others of its
// batch.
func applyProgressTx(ctx context.Context, tx *sql.Tx, insert, update *sql.Stmt, ch mangahub.ProgressChange) error {
	var (
		p   = ch.Progress
		res sql.Result
		err error
	)
	switch {
	case p.Version == 1 && !p.Deleted:
		res, err = insert.ExecContext(ctx,
			p.UserID, p.MangaID, p.Chapter, string(p.Status), toMicros(p.LastReadAt), toMicros(p.UpdatedAt), ch.Direct)
	default:
		baseVersion, baseDeleted := p.Version-1, ch.BaseDeleted
		if p.Deleted {
			baseVersion, baseDeleted = p.Version, false
		}
		res, err = update.ExecContext(ctx,
			p.Chapter, string(p.Status), toMicros(p.LastReadAt), toMicros(p.UpdatedAt), p.Version, p.Deleted, ch.Direct,
			p.UserID, p.MangaID, baseVersion, baseDeleted)
	}
	if foreignKeyViolation(err) {
		if perr := missingParent(ctx, tx, p.UserID, p.MangaID); perr != nil {
			return perr
		}
	}
	if err != nil {
		return translate(ctx, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(ctx, err)
	}
	if n == 0 {
		// No record in the expected state may also mean the manga is gone.
		if err := missingParent(ctx, tx, p.UserID, p.MangaID); err != nil {
			return err
		}
		return mangahub.ErrVersionMismatch
	}
	return nil
}

// PutProgressBatch stores each queued record newer than the stored state,
// in one transaction; records of a missing user or manga come back as
// rejected, records whose stored state is a direct write past their queued
// history's base as diverged.
func (s *ProgressStore) PutProgressBatch(ctx context.Context, qs []mangahub.QueuedProgress) (mangahub.BatchResult, error) {
	var res mangahub.BatchResult
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		res = mangahub.BatchResult{}
		put, err := tx.PrepareContext(ctx, batchProgressSQL)
		if err != nil {
			return err
		}
		defer put.Close()
		diverged, err := tx.PrepareContext(ctx, divergedProgressSQL)
		if err != nil {
			return err
		}
		defer diverged.Close()
		for _, q := range qs {
			stored, err := scanProgress(diverged.QueryRowContext(ctx, q.UserID, q.MangaID, q.Base))
			switch {
			case err == nil:
				res.Diverged = append(res.Diverged, mangahub.Divergence{Queued: q, Stored: stored})
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			r, err := put.ExecContext(ctx, q.UserID, q.MangaID, q.Chapter, string(q.Status),
				toMicros(q.LastReadAt), toMicros(q.UpdatedAt), q.Version, q.Deleted)
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				// Not newer, or a parent is gone: only the latter is a reject.
				if err := missingParent(ctx, tx, q.UserID, q.MangaID); err != nil {
					if !mangahub.IsCode(err, mangahub.CodeMangaNotFound) && !mangahub.IsCode(err, mangahub.CodeNotFound) {
						return err
					}
					res.Rejected = append(res.Rejected, q)
				}
			}
		}
		return nil
	})
	if err != nil {
		return mangahub.BatchResult{}, err
	}
	return res, nil
}

// missingParent tells which side of a progress record does not exist, the
// manga first; nil when both do.
func missingParent(ctx context.Context, q querier, userID string, mangaID int64) error {
	var manga, user bool
	err := q.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM manga WHERE id = ?), EXISTS (SELECT 1 FROM users WHERE id = ?)`,
		mangaID, userID).Scan(&manga, &user)
	switch {
	case err != nil:
		return err
	case !manga:
		return mangahub.Errorf(mangahub.CodeMangaNotFound, "manga not found")
	case !user:
		return notFound("user")
	}
	return nil
}

// scanProgress reads a row of progressColumns, then into extra whatever
// columns follow.
func scanProgress(row scanner, extra ...any) (*mangahub.Progress, error) {
	var (
		p             mangahub.Progress
		status        string
		read, updated int64
	)
	dest := append([]any{&p.UserID, &p.MangaID, &p.Chapter, &status, &read, &updated, &p.Version, &p.Deleted}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	p.Status = mangahub.ReadingStatus(status)
	p.LastReadAt, p.UpdatedAt = fromMicros(read), fromMicros(updated)
	return &p, nil
}

// CheckParents returns CodeMangaNotFound when the manga does not exist,
// CodeNotFound when the user does not, and nil when both do: a hot store,
// which has no foreign keys, asks before it takes a new record.
func (s *ProgressStore) CheckParents(ctx context.Context, userID string, mangaID int64) error {
	if err := missingParent(ctx, s.db.read, userID, mangaID); err != nil {
		return translate(ctx, err)
	}
	return nil
}

// FindReaders returns the users with a live record of mangaID.
func (s *ProgressStore) FindReaders(ctx context.Context, mangaID int64) ([]string, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT user_id FROM user_progress WHERE manga_id = ? AND NOT deleted`, mangaID)
	if err != nil {
		return nil, translate(ctx, err)
	}
	defer rows.Close()
	users := []string{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, translate(ctx, err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(ctx, err)
	}
	return users, nil
}
