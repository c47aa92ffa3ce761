package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/postgres"
	"github.com/mangahub/mangahub/internal/testenv"
)

// The write-behind flush bench's setup: 100,000 progress records (1,000
// users × 100 manga) written in batches of 1,000, as the flusher writes
// them at its default MANGAHUB_FLUSH_BATCH.
const (
	flushRows  = 100_000
	flushBatch = 1000
	flushUsers = 1000
)

// BenchmarkFlush measures how fast batches of progress reach PostgreSQL,
// three ways over the same rows: the design document's BatchInsert (a
// prepared upsert executed row by row, one transaction per batch),
// MangaHub's write-behind flush (PutProgressBatch: one multi-row upsert per
// batch), and, as the ceiling, a raw COPY into a table without indexes or
// constraints. Each is measured inserting new rows and then updating all of
// them to a newer version; one op is one pass over the 100,000 rows, and
// rows/s is the figure docs/performance.md quotes. It needs PostgreSQL
// (MANGAHUB_TEST_POSTGRES_URL); run it with
//
//	go test -run '^$' -bench BenchmarkFlush -benchtime 1x ./internal/postgres
func BenchmarkFlush(b *testing.B) {
	url := testenv.PostgresURL(b)
	ctx := context.Background()
	db := openURL(b, url)
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	users, manga := flushParents(b, db)
	if _, err := pool.Exec(ctx, `CREATE TABLE flush_bench_copy (LIKE user_progress INCLUDING DEFAULTS)`); err != nil {
		b.Fatal(err)
	}
	rows := func(version int64) []*mangahub.Progress {
		ps := make([]*mangahub.Progress, 0, flushRows)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, u := range users {
			for _, m := range manga {
				ps = append(ps, &mangahub.Progress{UserID: u, MangaID: m, Chapter: int(version) * 10,
					Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: version})
			}
		}
		return ps
	}
	v1, v2 := rows(1), rows(2)
	store := postgres.NewProgressStore(db)
	methods := []struct {
		name  string
		write func(ctx context.Context, ps []*mangahub.Progress) error
	}{
		{"seed-batch-insert", func(ctx context.Context, ps []*mangahub.Progress) error {
			return seedBatchInsert(ctx, pool, ps)
		}},
		{"put-progress-batch", func(ctx context.Context, ps []*mangahub.Progress) error {
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
		{"raw-copy", func(ctx context.Context, ps []*mangahub.Progress) error {
			return rawCopy(ctx, pool, ps)
		}},
	}
	pass := func(b *testing.B, write func(context.Context, []*mangahub.Progress) error, ps []*mangahub.Progress) {
		b.Helper()
		for i := 0; i < len(ps); i += flushBatch {
			if err := write(ctx, ps[i:min(i+flushBatch, len(ps))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	empty := func(b *testing.B) {
		b.Helper()
		if _, err := pool.Exec(ctx, `TRUNCATE user_progress, flush_bench_copy`); err != nil {
			b.Fatal(err)
		}
	}
	for _, m := range methods {
		b.Run(m.name+"/insert", func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				empty(b)
				b.StartTimer()
				pass(b, m.write, v1)
			}
			b.ReportMetric(float64(flushRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(m.name+"/update", func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				empty(b)
				pass(b, m.write, v1)
				b.StartTimer()
				pass(b, m.write, v2)
			}
			b.ReportMetric(float64(flushRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// flushParents creates the bench's users and manga through the stores and
// returns their IDs.
func flushParents(b *testing.B, db *postgres.DB) ([]string, []int64) {
	b.Helper()
	ctx := context.Background()
	userStore, mangaStore := postgres.NewUserStore(db), postgres.NewMangaStore(db)
	var users []string
	for i := range flushUsers {
		u := &mangahub.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			Username: fmt.Sprintf("flushbench%d", i), Email: fmt.Sprintf("flushbench%d@example.com", i),
			PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now()}
		if err := userStore.CreateUser(ctx, u); err != nil {
			b.Fatalf("flush bench user: %v", err)
		}
		users = append(users, u.ID)
	}
	var manga []int64
	for i := range flushRows / flushUsers {
		slug := fmt.Sprintf("flush-bench-%d", i)
		m := &mangahub.Manga{Slug: slug, Title: slug, Author: "bench", Status: mangahub.MangaOngoing, Genres: []string{}}
		if _, err := mangaStore.PutManga(ctx, m); err != nil {
			b.Fatalf("flush bench manga: %v", err)
		}
		manga = append(manga, m.ID)
	}
	return users, manga
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
