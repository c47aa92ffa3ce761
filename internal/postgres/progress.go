package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// ProgressStore persists reading progress in user_progress.
type ProgressStore struct{ db *DB }

var _ mangahub.ProgressStore = (*ProgressStore)(nil)

// NewProgressStore returns the progress records of db.
func NewProgressStore(db *DB) *ProgressStore { return &ProgressStore{db: db} }

const progressColumns = `user_id, manga_id, current_chapter, status, last_read_at, updated_at, version`

// FindProgress returns one user's record for one manga.
func (s *ProgressStore) FindProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	p, err := scanProgress(s.db.pool.QueryRow(ctx,
		`SELECT `+progressColumns+` FROM user_progress WHERE user_id = $1 AND manga_id = $2`, userID, mangaID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("progress")
	}
	if err != nil {
		return nil, translate(ctx, err)
	}
	return p, nil
}

// FindProgresses returns one page of a user's records, most recently updated
// first, and how many there are in all. A Limit of zero or less means all.
func (s *ProgressStore) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	var args params
	where := ` WHERE user_id = ` + args.add(f.UserID)
	if f.Status != "" {
		where += ` AND status = ` + args.add(string(f.Status))
	}
	nWhere := len(args)
	var limit *int64 // NULL: no limit
	if f.Limit > 0 {
		l := int64(f.Limit)
		limit = &l
	}
	offset := int64(max(f.Offset, 0))
	pageSQL := `SELECT ` + progressColumns + ` FROM user_progress` + where +
		` ORDER BY updated_at DESC, manga_id LIMIT ` + args.add(limit) + ` OFFSET ` + args.add(offset)
	var (
		page  = []*mangahub.Progress{}
		total int
	)
	err := s.db.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM user_progress`+where, args[:nWhere]...).Scan(&total); err != nil {
			return err
		}
		if int64(total) <= offset {
			return nil
		}
		rows, err := tx.Query(ctx, pageSQL, args...)
		if err != nil {
			return err
		}
		page, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mangahub.Progress, error) { return scanProgress(row) })
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// errMissingParent marks a foreign key violation, which aborts the
// transaction: which parent is missing is asked afterwards.
var errMissingParent = errors.New("progress refers to a missing user or manga")

// PutProgress is a compare-and-set by version: version 1 inserts only when
// there is no record, version N updates only the record at version N-1.
// Either way one statement decides: a concurrent writer of the same record
// waits for the row lock and then re-checks the version.
func (s *ProgressStore) PutProgress(ctx context.Context, p *mangahub.Progress) error {
	if p.Version < 1 {
		return mangahub.Internal(fmt.Errorf("progress version %d is below 1", p.Version))
	}
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		var sql string
		args := []any{p.UserID, p.MangaID, p.Chapter, string(p.Status), p.LastReadAt, p.UpdatedAt, p.Version}
		if p.Version == 1 {
			sql = `INSERT INTO user_progress (` + progressColumns + `)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (user_id, manga_id) DO NOTHING`
		} else {
			sql = `UPDATE user_progress
				SET current_chapter = $3, status = $4, last_read_at = $5, updated_at = $6, version = $7
				WHERE user_id = $1 AND manga_id = $2 AND version = $7 - 1`
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if foreignKeyViolation(err) {
			return errMissingParent
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// No record at version N-1 may also mean the manga is gone.
			if err := missingParent(ctx, tx, p.UserID, p.MangaID); err != nil {
				return err
			}
			return mangahub.ErrVersionMismatch
		}
		return nil
	})
	if errors.Is(err, errMissingParent) {
		if err := missingParent(ctx, s.db.pool, p.UserID, p.MangaID); err != nil {
			return translate(ctx, err)
		}
		// Both exist by now: the caller re-reads and tries again.
		return mangahub.ErrVersionMismatch
	}
	return err
}

// DeleteProgress removes one record.
func (s *ProgressStore) DeleteProgress(ctx context.Context, userID string, mangaID int64) error {
	return s.db.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM user_progress WHERE user_id = $1 AND manga_id = $2`, userID, mangaID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("progress")
		}
		return nil
	})
}

// missingParent tells which side of a progress record does not exist, the
// manga first; nil when both do.
func missingParent(ctx context.Context, q querier, userID string, mangaID int64) error {
	var manga, user bool
	err := q.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM manga WHERE id = $1), EXISTS (SELECT 1 FROM users WHERE id = $2)`,
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

func scanProgress(row pgx.Row) (*mangahub.Progress, error) {
	var (
		p      mangahub.Progress
		status string
	)
	if err := row.Scan(&p.UserID, &p.MangaID, &p.Chapter, &status, &p.LastReadAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	p.Status = mangahub.ReadingStatus(status)
	p.LastReadAt, p.UpdatedAt = p.LastReadAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}
