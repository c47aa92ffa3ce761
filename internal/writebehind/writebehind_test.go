package writebehind_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/redis"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
	"github.com/mangahub/mangahub/internal/writebehind"
)

// The hybrid store passes the conformance suite of the plain stores, in
// both modes, over both engines: to a caller it is a progress store like
// any other.
func TestConformance(t *testing.T) {
	for _, e := range engines {
		for _, mode := range []struct {
			name string
			mode writebehind.Mode
		}{{"write-behind", writebehind.WriteBehind}, {"write-through", writebehind.WriteThrough}} {
			t.Run(e.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel() // each has its databases and key prefixes
				url := testenv.RedisURL(t)
				storetest.Run(t, func(t *testing.T) storetest.Stores {
					s, durable := e.open(t)
					hot := newStore(t, durable, openRedis(t, url), mode.mode)
					s.Progress, s.Manga = hot, writebehind.NewMangaStore(s.Manga, hot)
					return s
				})
			})
		}
	}
}

// Write-behind changes are acknowledged before the database has them; a
// drain writes every one, the newest state of each record, even with an
// interval far in the future.
func TestDrainWritesEveryQueuedChange(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s, durable := e.open(t)
			c := openRedis(t, testenv.RedisURL(t))
			store := newStore(t, durable, c, writebehind.WriteBehind)
			fx := newFixture(t, s, 3, 4)
			var last []*mangahub.Progress
			for u := range 3 {
				for m := range 4 {
					for v := int64(1); v <= 3; v++ {
						mustApply(t, store, fx.record(u, m, v))
					}
					last = append(last, fx.record(u, m, 3))
				}
			}
			if _, err := durable.FindProgress(t.Context(), fx.users[0].ID, fx.mangas[0].ID); !mangahub.IsCode(err, mangahub.CodeNotFound) {
				t.Fatalf("the database has a change before any flush: %v", err)
			}
			// Reads see what was acknowledged.
			equal(t, "read before the flush", mustFind(t, store, fx.users[1].ID, fx.mangas[2].ID), fx.record(1, 2, 3))

			queue := redis.NewQueue(c, time.Minute)
			var rows, lags atomic.Int64
			f := writebehind.NewFlusher(queue, durable, writebehind.FlusherConfig{
				Interval: 5 * time.Minute, Batch: 5,
				Flushed: func(n int, _ time.Duration) { rows.Add(int64(n)) },
				Lag: func(d time.Duration) {
					if d >= 0 && d < time.Minute {
						lags.Add(1)
					}
				},
			})
			if n, _, _ := queue.Pending(t.Context()); n != 12 {
				t.Fatalf("pending = %d, want 12 (one per record, coalesced)", n)
			}
			if err := f.Drain(t.Context()); err != nil {
				t.Fatalf("Drain: %v", err)
			}
			for _, p := range last {
				equal(t, "flushed record", mustFind(t, durable, p.UserID, p.MangaID), p)
			}
			if rows.Load() != 12 || lags.Load() != 12 {
				t.Errorf("flushed %d rows with %d plausible lags, want 12 of each", rows.Load(), lags.Load())
			}
			if st := f.Status(); st.Pending != 0 || st.LastFlush.IsZero() || st.Err != nil {
				t.Errorf("status after the drain = %+v", st)
			}
		})
	}
}

// Several flushers drain one queue at once while writers keep changing the
// records: in the end the database holds the newest version of every
// record, and nothing stays queued.
func TestConcurrentFlushersLeaveTheNewestVersion(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s, durable := e.open(t)
			c := openRedis(t, testenv.RedisURL(t))
			store := newStore(t, durable, c, writebehind.WriteBehind)
			fx := newFixture(t, s, 4, 5)
			const versions = 12

			ctx, stop := context.WithCancel(t.Context())
			var flushers sync.WaitGroup
			for range 3 {
				f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{
					Interval: time.Millisecond, Batch: 7, Poll: time.Millisecond,
				})
				flushers.Go(func() { f.Run(ctx) })
			}
			var writers sync.WaitGroup
			for u := range 4 {
				writers.Go(func() {
					for v := int64(1); v <= versions; v++ {
						for m := range 5 {
							mustApply(t, store, fx.record(u, m, v))
						}
					}
				})
			}
			writers.Wait()
			stop()
			flushers.Wait()
			final := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{})
			if err := final.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			for u := range 4 {
				for m := range 5 {
					want := fx.record(u, m, versions)
					equal(t, "record after concurrent flushes", mustFind(t, durable, want.UserID, want.MangaID), want)
				}
			}
		})
	}
}

// A change whose manga was deleted after it was acknowledged is parked in
// the dead-letter list; it does not hold back the rest of its batch, and a
// delete of such a record is simply dropped.
func TestRefusedRecordsAreParked(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s, durable := e.open(t)
			c := openRedis(t, testenv.RedisURL(t))
			store := newStore(t, durable, c, writebehind.WriteBehind)
			fx := newFixture(t, s, 2, 3)
			mustApply(t, store, fx.record(0, 0, 1))
			mustApply(t, store, fx.record(0, 1, 1)) // its manga goes
			mustApply(t, store, fx.record(1, 2, 1))
			tomb := *fx.record(1, 1, 1)
			mustApply(t, store, &tomb)
			tomb.Deleted = true
			mustApply(t, store, &tomb) // a delete whose manga goes too
			if err := s.Manga.DeleteManga(t.Context(), fx.mangas[1].ID); err != nil {
				t.Fatal(err)
			}
			var parked []*mangahub.Progress
			f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{
				Parked: func(p *mangahub.Progress) { parked = append(parked, p) },
			})
			if err := f.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(parked) != 1 || *parked[0] != *fx.record(0, 1, 1) {
				t.Errorf("parked %+v, want only the live record of the deleted manga", parked)
			}
			equal(t, "a record of the same batch", mustFind(t, durable, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 1))
			equal(t, "another record", mustFind(t, durable, fx.users[1].ID, fx.mangas[2].ID), fx.record(1, 2, 1))
			// The hot store no longer shows the refused record either.
			if _, err := store.FindProgress(t.Context(), fx.users[0].ID, fx.mangas[1].ID); !mangahub.IsCode(err, mangahub.CodeNotFound) {
				t.Errorf("FindProgress of the parked record = %v, want not found", err)
			}
		})
	}
}

// While Redis is down, reads and writes go to the database and writes are
// still acknowledged; once Redis is back, the library written around it is
// loaded again, so reads show what the database took meanwhile.
func TestRedisDownGoesToTheDatabase(t *testing.T) {
	s, durable := openSQLite(t)
	rs := testenv.NewRedis(t)
	c := openRedis(t, rs.URL())
	store := newStore(t, durable, c, writebehind.WriteBehind)
	fx := newFixture(t, s, 1, 2)
	f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{})

	mustApply(t, store, fx.record(0, 0, 1))
	mustApply(t, store, fx.record(0, 1, 1))
	if err := f.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "read while Redis is up", mustFind(t, store, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 1))

	rs.Stop(t)
	// The first write after the failure finds out and goes around.
	mustApply(t, store, fx.record(0, 0, 2))
	if !store.Degraded() {
		t.Fatal("Degraded() = false with Redis down")
	}
	mustApply(t, store, fx.record(0, 0, 3))
	equal(t, "database while Redis is down", mustFind(t, durable, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 3))
	equal(t, "read while Redis is down", mustFind(t, store, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 3))
	page, total, err := store.FindProgresses(t.Context(), mangahub.ProgressFilter{UserID: fx.users[0].ID})
	if err != nil || total != 2 || len(page) != 2 {
		t.Fatalf("library while Redis is down: %d of %d, %v", len(page), total, err)
	}

	rs.Start(t)
	waitUntil(t, func() bool { return !store.Degraded() })
	// Redis still held version 1, cached before it stopped: it must not be
	// served, and the next version continues from the database's 3.
	equal(t, "read after Redis is back", mustFind(t, store, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 3))
	mustApply(t, store, fx.record(0, 0, 4))
	if err := f.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	equal(t, "database after the recovery", mustFind(t, durable, fx.users[0].ID, fx.mangas[0].ID), fx.record(0, 0, 4))
}

// A user who keeps writing while Redis comes back does not hold the hot
// store out of use: writes around it wait while it is brought in step (its
// queue flushed, the library loaded again), then resume on it. Every write
// is acknowledged, and the last one is what the database ends with.
func TestRecoveryEndsWhileWritesGoOn(t *testing.T) {
	s, durable := openSQLite(t)
	rs := testenv.NewRedis(t)
	c := openRedis(t, rs.URL())
	store := newStore(t, durable, c, writebehind.WriteBehind)
	fx := newFixture(t, s, 1, 1)
	mustApply(t, store, fx.record(0, 0, 1)) // queued in Redis, not flushed

	rs.Stop(t)
	var (
		last    atomic.Pointer[mangahub.Progress]
		writes  atomic.Int64
		stopped = make(chan error, 1)
		stop    = make(chan struct{})
	)
	go func() {
		for {
			select {
			case <-stop:
				stopped <- nil
				return
			default:
			}
			cur, err := store.FindProgress(t.Context(), fx.users[0].ID, fx.mangas[0].ID)
			if mangahub.IsCode(err, mangahub.CodeNotFound) {
				// Only Redis holds version 1: the database starts
				// another history of the record, reconciled later.
				cur, err = &mangahub.Progress{UserID: fx.users[0].ID, MangaID: fx.mangas[0].ID, Status: mangahub.StatusReading, LastReadAt: t0}, nil
			}
			if err != nil {
				stopped <- err
				return
			}
			next := *cur
			next.Version++
			next.Chapter++
			next.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
			_, err = store.ApplyProgress(t.Context(), mangahub.ProgressChange{Progress: &next})
			switch {
			case errors.Is(err, mangahub.ErrVersionMismatch):
				continue // the recovery's flush reconciled the record meanwhile
			case err != nil:
				stopped <- err
				return
			}
			last.Store(&next)
			writes.Add(1)
		}
	}()
	writing := func() bool {
		select {
		case err := <-stopped:
			t.Fatalf("writer stopped: %v", err)
		default:
		}
		return true
	}
	waitUntil(t, func() bool { return writing() && store.Degraded() && writes.Load() >= 20 })
	rs.Start(t)
	waitUntil(t, func() bool { return writing() && !store.Degraded() })
	after := writes.Load()
	waitUntil(t, func() bool { return writing() && writes.Load() >= after+20 }) // now through the hot store
	close(stop)
	if err := <-stopped; err != nil {
		t.Fatalf("writer: %v", err)
	}
	f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{})
	if err := f.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := last.Load()
	equal(t, "read after the recovery", mustFind(t, store, fx.users[0].ID, fx.mangas[0].ID), want)
	equal(t, "database after the recovery", mustFind(t, durable, fx.users[0].ID, fx.mangas[0].ID), want)
}

// While the database is down, write-behind changes are still acknowledged;
// flushes fail and are retried, and once the database is back every change
// reaches it.
func TestDatabaseDownKeepsAcknowledging(t *testing.T) {
	cluster := testenv.NewCluster(t)
	cluster.Start(t)
	s, durable := openPostgres(t, cluster.URL())
	c := openRedis(t, testenv.RedisURL(t))
	store := newStore(t, durable, c, writebehind.WriteBehind)
	fx := newFixture(t, s, 1, 3)
	for m := range 3 {
		mustApply(t, store, fx.record(0, m, 1)) // loads the library while the database is up
	}
	var failures atomic.Int64
	f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{
		Interval: 10 * time.Millisecond, Poll: 5 * time.Millisecond,
		Failed: func(error) { failures.Add(1) },
	})
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var running sync.WaitGroup
	running.Go(func() { f.Run(ctx) })

	cluster.Stop(t)
	for m := range 3 {
		for v := int64(2); v <= 5; v++ {
			mustApply(t, store, fx.record(0, m, v))
		}
	}
	waitUntil(t, func() bool { return failures.Load() > 0 })
	if st := f.Status(); st.Pending != 3 || st.Err == nil {
		t.Errorf("status with the database down = %+v, want 3 pending and an error", st)
	}
	cluster.Start(t)
	stop()
	running.Wait()
	drain, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := f.Drain(drain); err != nil {
		t.Fatal(err)
	}
	for m := range 3 {
		equal(t, "record after the database came back", mustFind(t, durable, fx.users[0].ID, fx.mangas[m].ID), fx.record(0, m, 5))
	}
}

// A change queued in Redis and a change written directly while Redis was
// unreachable are two histories of one record, both acknowledged. The flush
// finds them and settles on the later change, at a version above both,
// written to the database and pushed to the user's devices; neither is
// lost to a version comparison.
func TestDivergedHistoriesAreReconciled(t *testing.T) {
	for _, later := range []string{"direct", "queued"} {
		t.Run(later+" is later", func(t *testing.T) {
			s, durable := openSQLite(t)
			rs := testenv.NewRedis(t)
			c := openRedis(t, rs.URL())
			bus := redis.NewBus(c, nil)
			t.Cleanup(func() { bus.Close() })
			f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{})
			// As the server does: back in use once Redis takes writes and
			// this instance hears its events again.
			store := writebehind.New(durable, redis.NewCache(c), writebehind.Config{
				Probe: func(ctx context.Context) error {
					if !bus.Ready() {
						return errors.New("bus not ready")
					}
					return c.Probe(ctx)
				},
				ProbeEvery: 20 * time.Millisecond, Flush: f.FlushOnce,
			})
			t.Cleanup(store.Close)
			fx := newFixture(t, s, 1, 1)
			user, manga := fx.users[0].ID, fx.mangas[0].ID
			if _, err := bus.Watch(t.Context(), user); err != nil {
				t.Fatal(err)
			}
			got := make(chan mangahub.Event, 8)
			bus.Subscribe(func(ev mangahub.Event) {
				if ev.Progress.Version == 3 {
					got <- ev
				}
			})

			mustApply(t, store, fx.record(0, 0, 1))
			if err := f.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			queued := fx.record(0, 0, 2) // acknowledged into Redis, not flushed
			queued.Chapter = 20
			direct := fx.record(0, 0, 2) // acknowledged into the database while Redis is down
			direct.Chapter = 30
			if later == "direct" {
				direct.UpdatedAt = queued.UpdatedAt.Add(time.Second)
			} else {
				queued.UpdatedAt = direct.UpdatedAt.Add(time.Second)
			}
			mustApply(t, store, queued)
			rs.Stop(t)
			mustApply(t, store, direct) // meets the failure and goes around
			if !store.Degraded() {
				t.Fatal("Degraded() = false with Redis down")
			}
			equal(t, "database while Redis is down", mustFind(t, durable, user, manga), direct)

			rs.Start(t)
			// Back in use only after the divergence is settled: the first
			// read already shows the settled state.
			waitUntil(t, func() bool { return !store.Degraded() })
			want := *direct
			if later == "queued" {
				want = *queued
			}
			want.Version = 3
			equal(t, "first read after Redis is back", mustFind(t, store, user, manga), &want)
			if err := f.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			equal(t, "database after the flush", mustFind(t, durable, user, manga), &want)
			equal(t, "hot store after the flush", mustFind(t, store, user, manga), &want)
			select {
			case ev := <-got:
				if ev.Type != mangahub.EventProgressUpdated || *ev.Progress != want {
					t.Errorf("event %+v, want the reconciled %+v", ev, want)
				}
			case <-time.After(5 * time.Second):
				t.Error("no event announced the reconciled state")
			}
			// The record goes on from the reconciled version.
			next := want
			next.Version, next.Chapter = 4, 40
			mustApply(t, store, &next)
			if err := f.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			equal(t, "database after the next change", mustFind(t, durable, user, manga), &next)
		})
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "the condition", cond)
}

// A Redis short of memory under a volatile policy evicts clean libraries
// only: eviction costs cache hits (libraries load again from the
// database), never an acknowledged change, which stays in Redis, without a
// TTL, until it is flushed.
func TestEvictionCostsHitsNotWrites(t *testing.T) {
	s, durable := openSQLite(t)
	rs := testenv.NewRedis(t, "--maxmemory-policy", "volatile-lru")
	c := openRedis(t, rs.URL())
	admin := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rs.Port)})
	t.Cleanup(func() { admin.Close() })
	usedMemory := func() int {
		t.Helper()
		mem, err := admin.Info(t.Context(), "memory").Result()
		if err != nil {
			t.Fatal(err)
		}
		return infoInt(mem, "used_memory")
	}
	base := usedMemory()
	var misses atomic.Int64
	store := writebehind.New(durable, redis.NewCache(c), writebehind.Config{
		Probe: c.Probe, ProbeEvery: 20 * time.Millisecond,
		CacheResult: func(r string) {
			if r == "miss" {
				misses.Add(1)
			}
		},
	})
	t.Cleanup(store.Close)
	const users, mangas, rounds = 400, 6, 2
	fx := newFixture(t, s, users, mangas)
	f := writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{
		Interval: 20 * time.Millisecond, Poll: 10 * time.Millisecond, Batch: 500,
	})
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var flushing sync.WaitGroup
	flushing.Go(func() { f.Run(ctx) })

	// Through the progress rules, as the service writes: a write that finds
	// Redis full goes to the database, and the service retries from there.
	svc := progress.New(store, catalog.New(s.Manga), inmem.NewBus(), nil, progress.Config{})
	for round := 1; round <= rounds; round++ {
		if round == 2 {
			// Every library is loaded and clean by now: from here on
			// Redis has room for about three quarters of them.
			if err := f.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			full := usedMemory()
			if err := admin.ConfigSet(t.Context(), "maxmemory", strconv.Itoa(full-(full-base)/4)).Err(); err != nil {
				t.Fatal(err)
			}
			misses.Store(0)
		}
		for u := range users {
			for m := range mangas {
				if _, err := svc.Update(t.Context(), fx.users[u].ID, mangahub.Origin{Source: mangahub.SourceHTTP},
					mangahub.ProgressUpdate{MangaID: fx.mangas[m].ID, Chapter: round}); err != nil {
					t.Fatalf("update of user %d manga %d: %v", u, m, err)
				}
			}
		}
	}
	stop()
	flushing.Wait()
	if err := f.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	missed := misses.Load() // in round 2, with Redis short of memory
	for u := range users {
		for m := range mangas {
			user, manga := fx.users[u].ID, fx.mangas[m].ID
			stored, err := durable.FindProgress(t.Context(), user, manga)
			if err != nil || stored.Chapter != rounds || stored.Version < rounds {
				t.Fatalf("user %d manga %d in the database after the flush: %+v %v, want chapter %d", u, m, stored, err, rounds)
			}
			if got, err := store.FindProgress(t.Context(), user, manga); err != nil || *got != *stored {
				t.Fatalf("user %d manga %d read through the cache: %+v %v, want %+v", u, m, got, err, stored)
			}
		}
	}
	stats, err := admin.Info(t.Context(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	evicted := infoInt(stats, "evicted_keys")
	if evicted == 0 {
		t.Fatal("Redis evicted nothing: the test proves nothing (maxmemory too large?)")
	}
	if missed == 0 {
		t.Errorf("no cache miss while Redis evicted %d keys, want evicted libraries loaded again", evicted)
	}
	t.Logf("%d keys evicted, %d cache misses", evicted, missed)
}

// infoInt reads one integer field of Redis's INFO output.
func infoInt(info, field string) int {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
