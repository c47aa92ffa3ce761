package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// ProgressStore persists reading progress in user_progress.
type ProgressStore struct{ db *DB }

var _ mangahub.ProgressStore = (*ProgressStore)(nil)

// NewProgressStore returns the progress records of db.
func NewProgressStore(db *DB) *ProgressStore { return &ProgressStore{db: db} }

const progressColumns = `user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted`

// FindProgress returns one user's record (or tombstone) for one manga.
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

// FindProgresses returns one page of a user's live records, most recently
// updated first, and how many there are in all. A Limit of zero or less
// means all.
func (s *ProgressStore) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	var args params
	where := ` WHERE user_id = ` + args.add(f.UserID)
	if !f.IncludeDeleted {
		where += ` AND NOT deleted`
	}
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

// ApplyProgress is a compare-and-set: version 1 inserts only when there is
// no record, any other change updates only the record in the state it was
// computed from. Concurrent calls share one statement (group commit, see
// casBatcher), each with its own result. The caller publishes.
func (s *ProgressStore) ApplyProgress(ctx context.Context, ch mangahub.ProgressChange) (bool, error) {
	if ch.Progress == nil || ch.Progress.Version < 1 {
		return false, mangahub.Internal(fmt.Errorf("progress change without a version of at least 1"))
	}
	return false, s.db.cas.apply(ctx, ch)
}

// PutProgressBatch stores each record newer than the stored state of its
// (user, manga) in one statement: a multi-row upsert from arrays, ordered by
// key so that concurrent flushers lock rows in the same order. Records whose
// user or manga is gone are filtered out by the same statement and returned
// as rejected.
func (s *ProgressStore) PutProgressBatch(ctx context.Context, ps []*mangahub.Progress) ([]*mangahub.Progress, error) {
	ps = newestPerKey(ps)
	if len(ps) == 0 {
		return nil, nil
	}
	var cols progressArrays
	for _, p := range ps {
		cols.add(p)
	}
	var rejected []*mangahub.Progress
	err := s.db.writeTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH input AS (
				SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[],
					$5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::boolean[], $9::integer[])
					AS t (user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted, idx)
			), valid AS (
				SELECT * FROM input i
				WHERE EXISTS (SELECT 1 FROM manga m WHERE m.id = i.manga_id)
				  AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id)
			), upsert AS (
				INSERT INTO user_progress AS p (`+progressColumns+`)
				SELECT user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted
				FROM valid ORDER BY user_id, manga_id
				ON CONFLICT (user_id, manga_id) DO UPDATE SET
					current_chapter = EXCLUDED.current_chapter, status = EXCLUDED.status,
					last_read_at = EXCLUDED.last_read_at, updated_at = EXCLUDED.updated_at,
					version = EXCLUDED.version, deleted = EXCLUDED.deleted
				WHERE (p.version, p.deleted) < (EXCLUDED.version, EXCLUDED.deleted)
				RETURNING 1
			)
			SELECT idx FROM input WHERE idx NOT IN (SELECT idx FROM valid)`,
			cols.args()...)
		if err != nil {
			return err
		}
		idx, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		rejected = rejected[:0]
		for _, i := range idx {
			rejected = append(rejected, ps[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rejected, nil
}

// newestPerKey keeps the newest record of each (user, manga): one statement
// may not upsert a row twice.
func newestPerKey(ps []*mangahub.Progress) []*mangahub.Progress {
	type key struct {
		user  string
		manga int64
	}
	at := make(map[key]int, len(ps))
	out := make([]*mangahub.Progress, 0, len(ps))
	for _, p := range ps {
		k := key{p.UserID, p.MangaID}
		if i, ok := at[k]; ok {
			if p.Newer(out[i]) {
				out[i] = p
			}
			continue
		}
		at[k] = len(out)
		out = append(out, p)
	}
	return out
}

// progressArrays are records column by column, as unnest takes them.
type progressArrays struct {
	users    []string
	mangas   []int64
	chapters []int32
	statuses []string
	readAt   []time.Time
	updated  []time.Time
	versions []int64
	deleted  []bool
	idx      []int32
}

func (a *progressArrays) add(p *mangahub.Progress) {
	a.idx = append(a.idx, int32(len(a.users)))
	a.users = append(a.users, p.UserID)
	a.mangas = append(a.mangas, p.MangaID)
	a.chapters = append(a.chapters, int32(p.Chapter))
	a.statuses = append(a.statuses, string(p.Status))
	a.readAt = append(a.readAt, p.LastReadAt)
	a.updated = append(a.updated, p.UpdatedAt)
	a.versions = append(a.versions, p.Version)
	a.deleted = append(a.deleted, p.Deleted)
}

func (a *progressArrays) args() []any {
	return []any{a.users, a.mangas, a.chapters, a.statuses, a.readAt, a.updated, a.versions, a.deleted, a.idx}
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
	if err := row.Scan(&p.UserID, &p.MangaID, &p.Chapter, &status, &p.LastReadAt, &p.UpdatedAt, &p.Version, &p.Deleted); err != nil {
		return nil, err
	}
	p.Status = mangahub.ReadingStatus(status)
	p.LastReadAt, p.UpdatedAt = p.LastReadAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// CheckParents returns CodeMangaNotFound when the manga does not exist,
// CodeNotFound when the user does not, and nil when both do: a hot store,
// which has no foreign keys, asks before it takes a new record.
func (s *ProgressStore) CheckParents(ctx context.Context, userID string, mangaID int64) error {
	if err := missingParent(ctx, s.db.pool, userID, mangaID); err != nil {
		return translate(ctx, err)
	}
	return nil
}

// FindReaders returns the users with a live record of mangaID.
func (s *ProgressStore) FindReaders(ctx context.Context, mangaID int64) ([]string, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT user_id FROM user_progress WHERE manga_id = $1 AND NOT deleted`, mangaID)
	if err != nil {
		return nil, translate(ctx, err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(ctx, err)
	}
	return users, nil
}
