package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/postgres"
)

// FlushBench measures how fast batches of progress records reach
// PostgreSQL, three ways over the same rows: the design document's
// BatchInsert (a prepared upsert executed row by row, Batch rows per
// transaction), MangaHub's write-behind flush (PutProgressBatch: one
// multi-row unnest upsert per Batch rows), and, as the ceiling, a raw COPY
// of the rows into a table without indexes or constraints.
type FlushBench struct {
	URL   string // a migrated database the bench may fill (and empties)
	Rows  int    // records per pass
	Batch int    // records per transaction / statement
	Users int    // the records are Users × (Rows/Users) manga
}

// FlushResult is one method's throughput, inserting new rows and then
// updating all of them to a newer version.
type FlushResult struct {
	Method     string        `json:"method"`
	Rows       int           `json:"rows"`
	Insert     time.Duration `json:"insert_ns"`
	Update     time.Duration `json:"update_ns"`
	InsertRate float64       `json:"insert_rows_per_s"`
	UpdateRate float64       `json:"update_rows_per_s"`
}

// Run prepares users and manga, then measures each method on an emptied
// user_progress table.
func (b FlushBench) Run(ctx context.Context) ([]FlushResult, error) {
	if b.Rows <= 0 || b.Batch <= 0 || b.Users <= 0 || b.Rows%b.Users != 0 {
		return nil, fmt.Errorf("flush bench: rows must be a positive multiple of users, batch positive")
	}
	db, err := postgres.Open(ctx, b.URL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, b.URL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	users, mangas, err := b.parents(ctx, db)
	if err != nil {
		return nil, err
	}
	rows := func(version int64) []*mangahub.Progress {
		ps := make([]*mangahub.Progress, 0, b.Rows)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, u := range users {
			for _, m := range mangas {
				ps = append(ps, &mangahub.Progress{UserID: u, MangaID: m, Chapter: int(version) * 10,
					Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: version})
			}
		}
		return ps
	}
	store := postgres.NewProgressStore(db)
	methods := []struct {
		name  string
		write func(ctx context.Context, ps []*mangahub.Progress) error
	}{
		{"seed BatchInsert (prepared upsert per row)", func(ctx context.Context, ps []*mangahub.Progress) error {
			return seedBatchInsert(ctx, pool, ps)
		}},
		{"PutProgressBatch (unnest upsert)", func(ctx context.Context, ps []*mangahub.Progress) error {
			qs := make([]mangahub.QueuedProgress, len(ps))
			for i, p := range ps {
				qs[i] = mangahub.QueuedProgress{Progress: p}
			}
			res, err := store.PutProgressBatch(ctx, qs)
			if err == nil && len(res.Rejected)+len(res.Diverged) > 0 {
				err = fmt.Errorf("%d rows not written", len(res.Rejected)+len(res.Diverged))
			}
			return err
		}},
		{"raw COPY into an unindexed table", func(ctx context.Context, ps []*mangahub.Progress) error {
			return rawCopy(ctx, pool, ps)
		}},
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS flush_bench_copy (LIKE user_progress INCLUDING DEFAULTS)`); err != nil {
		return nil, err
	}
	var out []FlushResult
	for _, m := range methods {
		if _, err := pool.Exec(ctx, `TRUNCATE user_progress, flush_bench_copy`); err != nil {
			return nil, err
		}
		r := FlushResult{Method: m.name, Rows: b.Rows}
		for pass, version := range []int64{1, 2} {
			ps := rows(version)
			start := time.Now()
			for i := 0; i < len(ps); i += b.Batch {
				if err := m.write(ctx, ps[i:min(i+b.Batch, len(ps))]); err != nil {
					return nil, fmt.Errorf("%s: %w", m.name, err)
				}
			}
			if pass == 0 {
				r.Insert = time.Since(start)
			} else {
				r.Update = time.Since(start)
			}
		}
		r.InsertRate = float64(b.Rows) / r.Insert.Seconds()
		r.UpdateRate = float64(b.Rows) / r.Update.Seconds()
		out = append(out, r)
	}
	if _, err := pool.Exec(ctx, `DROP TABLE flush_bench_copy; TRUNCATE user_progress`); err != nil {
		return nil, err
	}
	return out, nil
}

// parents creates (once) the bench's users and manga, through the stores,
// and returns their IDs.
func (b FlushBench) parents(ctx context.Context, db *postgres.DB) ([]string, []int64, error) {
	userStore, mangaStore := postgres.NewUserStore(db), postgres.NewMangaStore(db)
	var users []string
	for i := range b.Users {
		u := &mangahub.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			Username: fmt.Sprintf("flushbench%d", i), Email: fmt.Sprintf("flushbench%d@example.com", i),
			PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now()}
		_, err := userStore.FindUserByID(ctx, u.ID)
		if mangahub.IsCode(err, mangahub.CodeNotFound) {
			err = userStore.CreateUser(ctx, u)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("flush bench user: %w", err)
		}
		users = append(users, u.ID)
	}
	var mangas []int64
	for i := range b.Rows / b.Users {
		slug := fmt.Sprintf("flush-bench-%d", i)
		m := &mangahub.Manga{Slug: slug, Title: slug, Author: "bench", Status: mangahub.MangaOngoing, Genres: []string{}}
		if _, err := mangaStore.PutManga(ctx, m); err != nil {
			return nil, nil, fmt.Errorf("flush bench manga: %w", err)
		}
		mangas = append(mangas, m.ID)
	}
	return users, mangas, nil
}

// seedBatchInsert is the design document's BatchInsert, as it wrote it: a
// transaction, a prepared upsert, one execution per row (the statement
// names the columns this schema requires).
func seedBatchInsert(ctx context.Context, pool *pgxpool.Pool, ps []*mangahub.Progress) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		stmt, err := tx.Prepare(ctx, "seed_batch_insert", `
			INSERT INTO user_progress (user_id, manga_id, current_chapter, status, last_read_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id, manga_id)
			DO UPDATE SET current_chapter = EXCLUDED.current_chapter, status = EXCLUDED.status,
				last_read_at = EXCLUDED.last_read_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version`)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if _, err := tx.Exec(ctx, stmt.Name, p.UserID, p.MangaID, p.Chapter, string(p.Status), p.LastReadAt, p.UpdatedAt, p.Version); err != nil {
				return err
			}
		}
		return nil
	})
}

// rawCopy copies the rows into flush_bench_copy: no index, no constraint,
// no conflict handling.
func rawCopy(ctx context.Context, pool *pgxpool.Pool, ps []*mangahub.Progress) error {
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"flush_bench_copy"},
		[]string{"user_id", "manga_id", "current_chapter", "status", "last_read_at", "updated_at", "version", "deleted", "direct"},
		pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
			p := ps[i]
			return []any{p.UserID, p.MangaID, int32(p.Chapter), string(p.Status), p.LastReadAt, p.UpdatedAt, p.Version, p.Deleted, false}, nil
		}))
	return err
}

// WriteFlushText writes the results with their ratios to the seed's method
// and to raw COPY.
func WriteFlushText(w io.Writer, rs []FlushResult) {
	if len(rs) != 3 {
		return
	}
	seed, copyR := rs[0], rs[2]
	for _, r := range rs {
		fmt.Fprintf(w, "%-45s insert %8.0f rows/s (%.1f× seed, %.0f%% of COPY)   update %8.0f rows/s (%.1f× seed, %.0f%% of COPY)\n",
			r.Method, r.InsertRate, r.InsertRate/seed.InsertRate, 100*r.InsertRate/copyR.InsertRate,
			r.UpdateRate, r.UpdateRate/seed.UpdateRate, 100*r.UpdateRate/copyR.UpdateRate)
	}
}
