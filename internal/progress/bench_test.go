package progress_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// benchManga is how many records the benchmark spreads its writers over:
// each goroutine of a parallel run writes its own, so the figures measure
// the write path rather than compare-and-set retries.
const benchManga = 64

// BenchmarkUpdate is one applied progress update through the service, over
// embedded SQLite and the in-process bus, as a TCP update runs it: validate,
// read, apply the rules, store (group commit), publish. "serial" is one
// writer at a time (the latency of an update); "GOMAXPROCS" is a few
// writers, each waiting for its ack; "parallel" keeps GOMAXPROCS×8 writers
// busy, the way many connections share commits.
func BenchmarkUpdate(b *testing.B) {
	b.Run("writers=serial", func(b *testing.B) {
		svc, user, manga := newBenchService(b, progress.Config{})
		ctx := context.Background()
		origin := mangahub.Origin{Source: mangahub.SourceTCP, ConnectionID: "bench"}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			res, err := svc.Update(ctx, user, origin, mangahub.ProgressUpdate{MangaID: manga[0], Chapter: i + 1})
			if err != nil || !res.Applied {
				b.Fatalf("Update = %+v, %v", res, err)
			}
		}
	})
	b.Run("writers=GOMAXPROCS", func(b *testing.B) { benchParallelUpdates(b, 1) })
	b.Run("writers=parallel", func(b *testing.B) { benchParallelUpdates(b, 8) })
}

// benchParallelUpdates runs parallelism×GOMAXPROCS writers, each waiting
// for its own ack before its next update (closed loop).
func benchParallelUpdates(b *testing.B, parallelism int) {
	svc, user, manga := newBenchService(b, progress.Config{})
	var next atomic.Int64
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		slot := int(next.Add(1)-1) % len(manga)
		origin := mangahub.Origin{Source: mangahub.SourceTCP, ConnectionID: fmt.Sprint("bench-", slot)}
		for chapter := 1; pb.Next(); chapter++ {
			res, err := svc.Update(ctx, user, origin, mangahub.ProgressUpdate{MangaID: manga[slot], Chapter: chapter})
			if err != nil || !res.Applied {
				b.Errorf("Update = %+v, %v", res, err)
				return
			}
		}
	})
}

// newBenchService is a service over a fresh SQLite file with one user and
// benchManga open-ended manga, and a bus subscriber that drops events (as
// a hub with no other connections of the user does).
func newBenchService(b *testing.B, cfg progress.Config) (*progress.Service, string, []int64) {
	b.Helper()
	ctx := context.Background()
	user := "0195f0c4-0000-7000-8000-0000000000b1"
	db := openWithUser(b, user, "bench")
	cat := catalog.New(sqlite.NewMangaStore(db))
	manga := make([]int64, benchManga)
	for i := range manga {
		m := &mangahub.Manga{Title: fmt.Sprint("Bench ", i), Author: "A", Status: mangahub.MangaOngoing}
		if err := cat.CreateManga(ctx, m); err != nil {
			b.Fatal(err)
		}
		manga[i] = m.ID
	}
	bus := inmem.NewBus()
	bus.Subscribe(func(mangahub.Event) {})
	return progress.New(sqlite.NewProgressStore(db), cat, bus, nil, cfg), user, manga
}

// BenchmarkList is a library page of 20 records read through the service,
// from the store on every call ("store") and from the library cache
// ("cached", as serve runs without Redis).
func BenchmarkList(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"store", 0}, {"cached", time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			svc, user := newBenchLibrary(b, bc.ttl)
			ctx := context.Background()
			f := mangahub.ProgressFilter{UserID: user, Limit: 20}
			b.ReportAllocs()
			for b.Loop() {
				if page, total, err := svc.List(ctx, f); err != nil || len(page) != 20 || total != benchManga {
					b.Fatalf("List = %d of %d, %v", len(page), total, err)
				}
			}
		})
	}
}

// newBenchLibrary is newBenchService's user with a record of every manga.
func newBenchLibrary(b *testing.B, ttl time.Duration) (*progress.Service, string) {
	b.Helper()
	svc, user, manga := newBenchService(b, progress.Config{LibraryCacheTTL: ttl})
	for _, m := range manga {
		if _, err := svc.Update(context.Background(), user, mangahub.Origin{Source: mangahub.SourceHTTP}, mangahub.ProgressUpdate{MangaID: m, Chapter: 1}); err != nil {
			b.Fatal(err)
		}
	}
	return svc, user
}
