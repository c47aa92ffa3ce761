package progress_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/testenv"
)

const libraryTTL = 5 * time.Second

// libraryStore is the SQLite store with its library reads counted, a hook
// run after a library read and before it returns, and writes that can be
// made to fail after they were stored (an ack lost on the way).
type libraryStore struct {
	*sqlite.ProgressStore
	lists atomic.Int64

	mu        sync.Mutex
	afterRead func() // run once, by the next FindProgresses
	lostAck   bool
}

func (s *libraryStore) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	s.lists.Add(1)
	page, total, err := s.ProgressStore.FindProgresses(ctx, f)
	s.mu.Lock()
	hook := s.afterRead
	s.afterRead = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return page, total, err
}

func (s *libraryStore) ApplyProgress(ctx context.Context, ch mangahub.ProgressChange) (bool, error) {
	published, err := s.ProgressStore.ApplyProgress(ctx, ch)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.lostAck {
		return false, mangahub.Unavailable(errors.New("connection lost after commit"))
	}
	return published, err
}

func (s *libraryStore) set(fn func(s *libraryStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

// libraryFixture is two services over one SQLite file: cached keeps
// libraries in memory, direct does not, and is both the reference a cached
// list must equal and the other process whose writes cached does not hear
// of. Both read the same settable clock.
type libraryFixture struct {
	cached, direct *progress.Service
	store          *libraryStore
	clock          *testenv.Clock
	users          []string
	manga          []int64 // open-ended: any chapter is allowed
}

func newLibraryFixture(t *testing.T, users, manga int) *libraryFixture {
	t.Helper()
	ctx := context.Background()
	f := &libraryFixture{clock: testenv.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))}
	for i := range users {
		f.users = append(f.users, fmt.Sprintf("0195f0c4-0000-7000-8000-%012d", 100+i))
	}
	db := openWithUser(t, f.users[0], "reader0")
	for i, id := range f.users[1:] {
		name := fmt.Sprint("reader", i+1)
		if err := sqlite.NewUserStore(db).CreateUser(ctx, &mangahub.User{
			ID: id, Username: name, Email: name + "@example.com", PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.New(sqlite.NewMangaStore(db))
	for i := range manga {
		m := &mangahub.Manga{Title: fmt.Sprint("Library ", i), Author: "A", Status: mangahub.MangaOngoing}
		if err := cat.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
		f.manga = append(f.manga, m.ID)
	}
	f.store = &libraryStore{ProgressStore: sqlite.NewProgressStore(db)}
	f.cached = progress.New(f.store, cat, inmem.NewBus(), nil, progress.Config{Now: f.clock.Now, LibraryCacheTTL: libraryTTL})
	f.direct = progress.New(sqlite.NewProgressStore(db), cat, inmem.NewBus(), nil, progress.Config{Now: f.clock.Now})
	return f
}

var web = mangahub.Origin{Source: mangahub.SourceHTTP}

func (f *libraryFixture) update(t *testing.T, svc *progress.Service, user string, manga int64, chapter int) {
	t.Helper()
	res, err := svc.Update(context.Background(), user, web, mangahub.ProgressUpdate{MangaID: manga, Chapter: chapter, Force: true})
	if err != nil || !res.Applied {
		t.Fatalf("update %s/%d to chapter %d: %+v, %v", user, manga, chapter, res, err)
	}
}

// list lists with svc and fails the test on an error.
func (f *libraryFixture) list(t *testing.T, svc *progress.Service, flt mangahub.ProgressFilter) ([]*mangahub.Progress, int) {
	t.Helper()
	page, total, err := svc.List(context.Background(), flt)
	if err != nil {
		t.Fatalf("List(%+v): %v", flt, err)
	}
	return page, total
}

// sameAsStore fails t unless the cached service lists what the store
// lists for flt.
func (f *libraryFixture) sameAsStore(t *testing.T, flt mangahub.ProgressFilter) {
	t.Helper()
	got, gotTotal := f.list(t, f.cached, flt)
	want, wantTotal := f.list(t, f.direct, flt)
	if gotTotal != wantTotal || len(got) != len(want) || (got == nil) != (want == nil) {
		t.Fatalf("List(%+v) = %d of %d, want %d of %d\n got: %s\nwant: %s", flt, len(got), gotTotal, len(want), wantTotal, describe(got), describe(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.UserID != w.UserID || g.MangaID != w.MangaID || g.Chapter != w.Chapter || g.Status != w.Status ||
			!g.LastReadAt.Equal(w.LastReadAt) || !g.UpdatedAt.Equal(w.UpdatedAt) || g.Version != w.Version || g.Deleted != w.Deleted {
			t.Fatalf("List(%+v)[%d] = %+v, want %+v", flt, i, g, w)
		}
	}
}

func describe(ps []*mangahub.Progress) string {
	s := ""
	for _, p := range ps {
		s += fmt.Sprintf("[%d ch%d %s v%d %s] ", p.MangaID, p.Chapter, p.Status, p.Version, p.UpdatedAt.Format("15:04:05.000"))
	}
	return s
}

// chapterOf returns the chapter user's library lists for manga, 0 when the
// library does not list it.
func (f *libraryFixture) chapterOf(t *testing.T, svc *progress.Service, user string, manga int64) int {
	t.Helper()
	page, _ := f.list(t, svc, mangahub.ProgressFilter{UserID: user})
	for _, p := range page {
		if p.MangaID == manga {
			return p.Chapter
		}
	}
	return 0
}

var allStatuses = []mangahub.ReadingStatus{"", mangahub.StatusReading, mangahub.StatusCompleted,
	mangahub.StatusPlanToRead, mangahub.StatusOnHold, mangahub.StatusDropped, mangahub.StatusReReading}

// Random libraries, with ties on updated_at and tombstones, list the same
// from the cache as from the store, for every status, limit and offset.
func TestLibraryCacheListsWhatTheStoreLists(t *testing.T) {
	f := newLibraryFixture(t, 3, 30)
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range 4 {
		for range 60 {
			user := f.users[rng.IntN(len(f.users))]
			manga := f.manga[rng.IntN(len(f.manga))]
			if rng.IntN(6) == 0 {
				err := f.cached.Delete(ctx, user, web, manga)
				if err != nil && !mangahub.IsCode(err, mangahub.CodeNotFound) {
					t.Fatalf("delete: %v", err)
				}
			} else {
				status := allStatuses[1+rng.IntN(len(allStatuses)-1)]
				_, err := f.cached.Update(ctx, user, web, mangahub.ProgressUpdate{MangaID: manga, Chapter: 1 + rng.IntN(100), Status: &status, Force: true})
				if err != nil {
					t.Fatalf("update: %v", err)
				}
			}
			// Half the time the clock stands still: records updated at the
			// same instant are ordered by manga_id.
			f.clock.Add(time.Duration(rng.IntN(2)) * time.Duration(rng.IntN(1000)) * time.Millisecond)
		}
		before := f.store.lists.Load()
		for _, user := range f.users {
			for _, status := range allStatuses {
				for _, limit := range []int{0, 1, 3, 7, 20, 100} {
					for _, offset := range []int{0, 1, 5, 19, 60} {
						f.sameAsStore(t, mangahub.ProgressFilter{UserID: user, Status: status, Limit: limit, Offset: offset})
					}
				}
			}
		}
		// Every list but each user's first was answered from memory.
		if n := f.store.lists.Load() - before; n != int64(len(f.users)) {
			t.Fatalf("round %d: %d library reads of the store, want %d (one per user)", round, n, len(f.users))
		}
	}
}

// Every kind of write through the service shows in the very next list:
// update, create, delete, a manga's removal, and a write whose outcome the
// store could not confirm.
func TestLibraryCacheSeesItsOwnWrites(t *testing.T) {
	f := newLibraryFixture(t, 2, 4)
	ctx := context.Background()
	u, other := f.users[0], f.users[1]
	f.update(t, f.cached, u, f.manga[0], 1)
	f.update(t, f.cached, u, f.manga[1], 1)
	f.update(t, f.cached, other, f.manga[0], 1)
	all := mangahub.ProgressFilter{UserID: u}
	f.sameAsStore(t, all)
	f.sameAsStore(t, mangahub.ProgressFilter{UserID: other})

	steps := []struct {
		name  string
		write func(t *testing.T)
		check func(t *testing.T) bool
	}{
		{"update", func(t *testing.T) { f.update(t, f.cached, u, f.manga[0], 7) },
			func(t *testing.T) bool { return f.chapterOf(t, f.cached, u, f.manga[0]) == 7 }},
		{"create", func(t *testing.T) { f.update(t, f.cached, u, f.manga[2], 3) },
			func(t *testing.T) bool { return f.chapterOf(t, f.cached, u, f.manga[2]) == 3 }},
		{"delete", func(t *testing.T) {
			if err := f.cached.Delete(ctx, u, web, f.manga[1]); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T) bool { return f.chapterOf(t, f.cached, u, f.manga[1]) == 0 }},
		{"remove manga", func(t *testing.T) {
			if err := f.cached.RemoveManga(ctx, f.manga[0]); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T) bool {
			return f.chapterOf(t, f.cached, u, f.manga[0]) == 0 && f.chapterOf(t, f.cached, other, f.manga[0]) == 0
		}},
		{"stored, then failed", func(t *testing.T) {
			f.store.set(func(s *libraryStore) { s.lostAck = true })
			defer f.store.set(func(s *libraryStore) { s.lostAck = false })
			_, err := f.cached.Update(ctx, u, web, mangahub.ProgressUpdate{MangaID: f.manga[3], Chapter: 9})
			if !mangahub.IsCode(err, mangahub.CodeUnavailable) {
				t.Fatalf("update with a lost ack: %v", err)
			}
		}, func(t *testing.T) bool { return f.chapterOf(t, f.cached, u, f.manga[3]) == 9 }},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			// The libraries are cached: listing again reads nothing.
			f.list(t, f.cached, all)
			f.list(t, f.cached, mangahub.ProgressFilter{UserID: other})
			before := f.store.lists.Load()
			f.list(t, f.cached, all)
			f.list(t, f.cached, mangahub.ProgressFilter{UserID: other})
			if n := f.store.lists.Load() - before; n != 0 {
				t.Fatalf("cached libraries read the store %d times", n)
			}
			step.write(t)
			if !step.check(t) {
				page, _ := f.list(t, f.cached, all)
				t.Fatalf("after the %s, the library lists %s", step.name, describe(page))
			}
			f.sameAsStore(t, all)
			f.sameAsStore(t, mangahub.ProgressFilter{UserID: other})
		})
	}
}

// A fill that read the library before a write must not install it after
// the write: the next list would show the library without the write.
func TestLibraryFillRacingAWriteIsNotInstalled(t *testing.T) {
	f := newLibraryFixture(t, 1, 1)
	u, m := f.users[0], f.manga[0]
	f.update(t, f.cached, u, m, 1)

	read, release := make(chan struct{}), make(chan struct{})
	f.store.set(func(s *libraryStore) {
		s.afterRead = func() {
			close(read)
			<-release
		}
	})
	filled := make(chan error, 1)
	go func() {
		_, _, err := f.cached.List(context.Background(), mangahub.ProgressFilter{UserID: u})
		filled <- err
	}()
	<-read // the fill holds chapter 1
	f.update(t, f.cached, u, m, 2)
	close(release)
	if err := <-filled; err != nil {
		t.Fatal(err)
	}
	if ch := f.chapterOf(t, f.cached, u, m); ch != 2 {
		t.Fatalf("after the write, the library lists chapter %d, want 2", ch)
	}
}

// A write the service does not see (another process) shows once the entry
// expires, and not before: the TTL is the staleness bound.
func TestLibraryCacheExpires(t *testing.T) {
	f := newLibraryFixture(t, 1, 1)
	u, m := f.users[0], f.manga[0]
	f.update(t, f.cached, u, m, 1)
	if ch := f.chapterOf(t, f.cached, u, m); ch != 1 {
		t.Fatalf("chapter %d, want 1", ch)
	}
	f.update(t, f.direct, u, m, 2)
	f.clock.Add(libraryTTL - time.Nanosecond)
	if ch := f.chapterOf(t, f.cached, u, m); ch != 1 {
		t.Fatalf("before the TTL: chapter %d, want the cached 1", ch)
	}
	f.clock.Add(time.Nanosecond)
	if ch := f.chapterOf(t, f.cached, u, m); ch != 2 {
		t.Fatalf("at the TTL: chapter %d, want 2", ch)
	}
}

// A library over the bound is listed by the store on every request, with
// one read per request, not two.
func TestLargeLibraryIsNotCached(t *testing.T) {
	f := newLibraryFixture(t, 1, 4)
	u := f.users[0]
	progress.SetLibraryLimit(f.cached, 3)
	for _, m := range f.manga[:3] {
		f.update(t, f.cached, u, m, 1)
	}
	all := mangahub.ProgressFilter{UserID: u}
	f.sameAsStore(t, all)
	before := f.store.lists.Load()
	f.sameAsStore(t, all)
	if n := f.store.lists.Load() - before; n != 0 {
		t.Fatalf("a library at the bound read the store %d times; want it cached", n)
	}

	f.update(t, f.cached, u, f.manga[3], 1)
	f.sameAsStore(t, all) // fills, learns it is too large
	for i := range 3 {
		before := f.store.lists.Load()
		f.update(t, f.direct, u, f.manga[i], 5)
		if ch := f.chapterOf(t, f.cached, u, f.manga[i]); ch != 5 {
			t.Fatalf("a large library listed chapter %d, want the stored 5", ch)
		}
		if n := f.store.lists.Load() - before; n != 1 {
			t.Fatalf("a large library's list read the store %d times, want 1", n)
		}
	}
	f.sameAsStore(t, mangahub.ProgressFilter{UserID: u, Limit: 2, Offset: 1})
}

// Readers and writers at once (run with -race): once the writers are done,
// the cache lists what the store holds.
func TestLibraryCacheUnderConcurrentWrites(t *testing.T) {
	f := newLibraryFixture(t, 2, 4)
	ctx := context.Background()
	var (
		writers, readers sync.WaitGroup
		done             atomic.Bool
	)
	for i, m := range f.manga {
		writers.Add(1)
		go func() {
			defer writers.Done()
			user := f.users[i%len(f.users)]
			for ch := 1; ch <= 30; ch++ {
				if _, err := f.cached.Update(ctx, user, web, mangahub.ProgressUpdate{MangaID: m, Chapter: ch}); err != nil {
					t.Errorf("update: %v", err)
					return
				}
			}
		}()
	}
	for _, user := range f.users {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !done.Load() {
				page, total, err := f.cached.List(ctx, mangahub.ProgressFilter{UserID: user, Limit: 1})
				if err != nil || len(page) > 1 || total > len(f.manga) {
					t.Errorf("List = %d of %d, %v", len(page), total, err)
					return
				}
			}
		}()
	}
	writers.Wait()
	done.Store(true)
	readers.Wait()
	for _, user := range f.users {
		f.sameAsStore(t, mangahub.ProgressFilter{UserID: user})
	}
}
