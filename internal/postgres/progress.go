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

var (
	_ mangahub.ProgressStore       = (*ProgressStore)(nil)
	_ mangahub.ProgressBatchWriter = (*ProgressStore)(nil)
)

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

// libraryPageSQL is every library page in one statement: the filters that
// are not set are true for every row ($2: tombstones too, $3: any status),
// so one statement (prepared once per connection by pgx) serves every
// request. The window counts the rows the filters keep, before the limit.
const libraryPageSQL = `SELECT ` + progressColumns + `, count(*) OVER ()
	FROM user_progress
	WHERE user_id = $1 AND ($2 OR NOT deleted) AND ($3 = '' OR status = $3)
	ORDER BY updated_at DESC, manga_id LIMIT $4 OFFSET $5`

// FindProgresses returns one page of a user's live records, most recently
// updated first, and how many there are in all, in one statement. A Limit
// of zero or less means all.
func (s *ProgressStore) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	var limit *int64 // NULL: no limit
	if f.Limit > 0 {
		l := int64(f.Limit)
		limit = &l
	}
	offset := int64(max(f.Offset, 0))
	rows, err := s.db.pool.Query(ctx, libraryPageSQL, f.UserID, f.IncludeDeleted, string(f.Status), limit, offset)
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	var total int64
	page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mangahub.Progress, error) {
		return scanProgress(row, &total)
	})
	if err != nil {
		return nil, 0, translate(ctx, err)
	}
	if len(page) == 0 && offset > 0 {
		// Past the end no row carries the total: count on its own.
		err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM user_progress
			WHERE user_id = $1 AND ($2 OR NOT deleted) AND ($3 = '' OR status = $3)`,
			f.UserID, f.IncludeDeleted, string(f.Status)).Scan(&total)
		if err != nil {
			return nil, 0, translate(ctx, err)
		}
	}
	return page, int(total), nil
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

// PutProgressBatch stores each queued record newer than the stored state
// of its (user, manga) in one statement: a multi-row upsert from arrays,
// ordered by key so that concurrent flushers lock rows in the same order.
// The same statement sets aside, and returns, the records whose user or
// manga is gone and those whose stored state was written directly after
// their queued history began.
func (s *ProgressStore) PutProgressBatch(ctx context.Context, qs []mangahub.QueuedProgress) (mangahub.BatchResult, error) {
	qs = newestPerKey(qs)
	if len(qs) == 0 {
		return mangahub.BatchResult{}, nil
	}
	var (
		cols  progressArrays
		bases = make([]int64, 0, len(qs))
	)
	for _, q := range qs {
		cols.add(q.Progress)
		bases = append(bases, q.Base)
	}
	var res mangahub.BatchResult
	// Repeatable read: a direct write that lands between the statement's
	// snapshot and its upsert fails the batch (to be retried) instead of
	// slipping past the divergence check.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead}
	err := translate(ctx, pgx.BeginTxFunc(ctx, s.db.pool, opts, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, batchSQL, append(cols.args(), bases)...)
		if err != nil {
			return err
		}
		res = mangahub.BatchResult{}
		var (
			idx      int32
			diverged bool
			stored   mangahub.Progress
			status   string
		)
		_, err = pgx.ForEachRow(rows, []any{&idx, &diverged, &stored.UserID, &stored.MangaID, &stored.Chapter, &status,
			&stored.LastReadAt, &stored.UpdatedAt, &stored.Version, &stored.Deleted}, func() error {
			if !diverged {
				res.Rejected = append(res.Rejected, qs[idx])
				return nil
			}
			p := stored
			p.Status = mangahub.ReadingStatus(status)
			p.LastReadAt, p.UpdatedAt = p.LastReadAt.UTC(), p.UpdatedAt.UTC()
			res.Diverged = append(res.Diverged, mangahub.Divergence{Queued: qs[idx], Stored: &p})
			return nil
		})
		return err
	}))
	if err != nil {
		return mangahub.BatchResult{}, err
	}
	return res, nil
}

// batchSQL is the write-behind flush of a batch: the newer-wins upsert of
// every record whose manga and user exist and whose stored state is not a
// direct write past its queued history's base; it returns the others, a
// diverged one with the stored state.
var batchSQL = `
WITH input AS (
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[],
		$5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::boolean[], $9::integer[], $10::bigint[])
		AS t (user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted, idx, base)
), valid AS (
	SELECT * FROM input i
	WHERE EXISTS (SELECT 1 FROM manga m WHERE m.id = i.manga_id)
	  AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id)
), diverged AS (
	SELECT i.idx, ` + progressColumnsOf("p") + `
	FROM valid i JOIN user_progress p USING (user_id, manga_id)
	WHERE p.direct AND p.version > i.base
), upsert AS (
	INSERT INTO user_progress AS p (` + progressColumns + `, direct)
	SELECT user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted, false
	FROM valid WHERE idx NOT IN (SELECT idx FROM diverged)
	ORDER BY user_id, manga_id
	ON CONFLICT (user_id, manga_id) DO UPDATE SET
		current_chapter = EXCLUDED.current_chapter, status = EXCLUDED.status,
		last_read_at = EXCLUDED.last_read_at, updated_at = EXCLUDED.updated_at,
		version = EXCLUDED.version, deleted = EXCLUDED.deleted, direct = false
	WHERE (p.version, p.deleted) < (EXCLUDED.version, EXCLUDED.deleted)
	RETURNING 1
)
SELECT idx, false, ` + progressColumns + ` FROM input WHERE idx NOT IN (SELECT idx FROM valid)
UNION ALL
SELECT idx, true, user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted FROM diverged`

// progressColumnsOf is progressColumns qualified by a table alias.
func progressColumnsOf(alias string) string {
	return alias + ".user_id, " + alias + ".manga_id, " + alias + ".current_chapter, " + alias + ".status, " +
		alias + ".last_read_at, " + alias + ".updated_at, " + alias + ".version, " + alias + ".deleted"
}

// newestPerKey keeps the newest record of each (user, manga): one statement
// may not upsert a row twice.
func newestPerKey(qs []mangahub.QueuedProgress) []mangahub.QueuedProgress {
	type key struct {
		user  string
		manga int64
	}
	at := make(map[key]int, len(qs))
	out := make([]mangahub.QueuedProgress, 0, len(qs))
	for _, q := range qs {
		k := key{q.UserID, q.MangaID}
		if i, ok := at[k]; ok {
			if q.Newer(out[i].Progress) {
				out[i] = q
			}
			continue
		}
		at[k] = len(out)
		out = append(out, q)
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

// scanProgress reads a row of progressColumns, then into extra whatever
// columns follow.
func scanProgress(row pgx.Row, extra ...any) (*mangahub.Progress, error) {
	var (
		p      mangahub.Progress
		status string
	)
	dest := append([]any{&p.UserID, &p.MangaID, &p.Chapter, &status, &p.LastReadAt, &p.UpdatedAt, &p.Version, &p.Deleted}, extra...)
	if err := row.Scan(dest...); err != nil {
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
