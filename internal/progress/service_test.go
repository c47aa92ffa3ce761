package progress_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/ratelimit"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// fixture is a progress service over a real, migrated SQLite database with
// one user and two manga (one with a known chapter count).
type fixture struct {
	svc      *progress.Service
	userID   string
	manga    int64 // 50 chapters
	openEnd  int64 // ongoing, chapter count unknown
	events   chan mangahub.Event
	observed map[string]int
	mu       sync.Mutex
	cat      *catalog.Service
	lookups  *countingFinder
	clock    time.Time // the service's "now" when set
}

// countingFinder counts the catalog lookups the service makes.
type countingFinder struct {
	progress.MangaFinder
	mu    sync.Mutex
	calls int
	down  bool // answer unavailable, as a catalog whose database is down
}

func (c *countingFinder) FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error) {
	c.mu.Lock()
	c.calls++
	down := c.down
	c.mu.Unlock()
	if down {
		return nil, mangahub.Unavailable(errors.New("catalog down"))
	}
	return c.MangaFinder.FindMangaByID(ctx, id)
}

func (c *countingFinder) setDown(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

func (c *countingFinder) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func newFixture(t *testing.T, limit ratelimit.Limit) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{userID: "0195f0c4-0000-7000-8000-000000000001", events: make(chan mangahub.Event, 100), observed: map[string]int{}}
	db := openWithUser(t, f.userID, "reader")
	cat := catalog.New(sqlite.NewMangaStore(db))
	fifty := 50
	m1 := &mangahub.Manga{Title: "Fifty Chapters", Author: "A", Status: mangahub.MangaCompleted, TotalChapters: &fifty}
	m2 := &mangahub.Manga{Title: "Open Ended", Author: "B", Status: mangahub.MangaOngoing}
	for _, m := range []*mangahub.Manga{m1, m2} {
		if err := cat.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	f.manga, f.openEnd = m1.ID, m2.ID
	bus := inmem.NewBus()
	bus.Subscribe(func(ev mangahub.Event) { f.events <- ev })
	f.cat, f.lookups = cat, &countingFinder{MangaFinder: cat}
	f.svc = progress.New(sqlite.NewProgressStore(db), f.lookups, bus, ratelimit.New(limit, nil), progress.Config{
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.clock.IsZero() {
				return time.Now()
			}
			return f.clock
		},
		Observe: func(src mangahub.Source, result string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.observed[string(src)+"/"+result]++
		},
	})
	return f
}

var generous = ratelimit.Limit{Rate: 1000, Burst: 1000}

func TestUpdatePublishesOnlyAppliedChanges(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceTCP, ConnectionID: "c1"}

	res, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 3})
	p := res.Progress
	if err != nil || !res.Applied || res.Reason != "" || p.Version != 1 || p.UserID != f.userID {
		t.Fatalf("first update: %+v %v", res, err)
	}
	ev := <-f.events
	if ev.Type != mangahub.EventProgressUpdated || ev.UserID != f.userID || ev.Origin != origin || *ev.Progress != *p {
		t.Fatalf("event = %+v", ev)
	}

	// Backwards without force: acknowledged, not applied, not published.
	res, err = f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 1})
	p2 := res.Progress
	if err != nil || res.Applied || res.Reason != mangahub.ReasonBackwards || p2.Chapter != 3 || p2.Version != 1 {
		t.Fatalf("backwards update: %+v %v", res, err)
	}
	select {
	case ev := <-f.events:
		t.Fatalf("unapplied update was published: %+v", ev)
	default:
	}

	// The stored record is what Get returns.
	got, err := f.svc.Get(ctx, f.userID, f.manga)
	if err != nil || *got != *p {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, p)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.observed["tcp/applied"] != 1 || f.observed["tcp/unchanged"] != 1 {
		t.Fatalf("observed = %v", f.observed)
	}
}

func TestUpdateErrors(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	http := mangahub.Origin{Source: mangahub.SourceHTTP}
	v := int64(7)
	tests := []struct {
		name string
		upd  mangahub.ProgressUpdate
		code mangahub.ErrorCode
	}{
		{"unknown manga", mangahub.ProgressUpdate{MangaID: 999_999, Chapter: 1}, mangahub.CodeMangaNotFound},
		{"chapter above total", mangahub.ProgressUpdate{MangaID: 1, Chapter: 51}, mangahub.CodeValidation},
		{"negative chapter", mangahub.ProgressUpdate{MangaID: 1, Chapter: -1}, mangahub.CodeValidation},
		{"expected version on a missing record", mangahub.ProgressUpdate{MangaID: 1, Chapter: 1, ExpectedVersion: &v}, mangahub.CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.upd.MangaID == 1 {
				tt.upd.MangaID = f.manga
			}
			_, err := f.svc.Update(ctx, f.userID, http, tt.upd)
			if code := mangahub.ErrorCodeOf(err); code != tt.code {
				t.Fatalf("code = %q (%v), want %q", code, err, tt.code)
			}
		})
	}
	// No chapter limit when the count is unknown.
	if res, err := f.svc.Update(ctx, f.userID, http, mangahub.ProgressUpdate{MangaID: f.openEnd, Chapter: 5000}); err != nil || !res.Applied {
		t.Fatalf("open-ended manga: %+v %v", res, err)
	}
}

func TestUpdateIsRateLimitedPerUser(t *testing.T) {
	f := newFixture(t, ratelimit.Limit{Rate: 0.001, Burst: 2})
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceWS, ConnectionID: "w"}
	for i := range 2 {
		if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: i + 1}); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	_, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 9})
	e := mangahub.AsError(err)
	if e.Code != mangahub.CodeRateLimited || e.RetryAfter <= 0 {
		t.Fatalf("third update: %v (retry after %s)", err, e.RetryAfter)
	}
	// Deletes share the same bucket.
	if err := f.svc.Delete(ctx, f.userID, origin, f.manga); mangahub.ErrorCodeOf(err) != mangahub.CodeRateLimited {
		t.Fatalf("delete while limited: %v", err)
	}
}

// Concurrent writers of one record never lose an applied change: every
// applied update got its own version, and the final chapter is the highest.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	const writers = 8
	var wg sync.WaitGroup
	versions := make(chan int64, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.Update(ctx, f.userID, mangahub.Origin{Source: mangahub.SourceTCP}, mangahub.ProgressUpdate{MangaID: f.openEnd, Chapter: 10 + i})
			p, applied := res.Progress, res.Applied
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
				return
			}
			if applied {
				versions <- p.Version
			}
		}()
	}
	wg.Wait()
	close(versions)
	seen := map[int64]bool{}
	for v := range versions {
		if seen[v] {
			t.Fatalf("version %d handed out twice", v)
		}
		seen[v] = true
	}
	got, err := f.svc.Get(ctx, f.userID, f.openEnd)
	if err != nil {
		t.Fatal(err)
	}
	if got.Chapter != 10+writers-1 || got.Version != int64(len(seen)) {
		t.Fatalf("final %+v after %d applied updates; want chapter %d", got, len(seen), 10+writers-1)
	}
}

func TestDeleteAndList(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceHTTP}
	done := mangahub.StatusCompleted
	for _, u := range []mangahub.ProgressUpdate{{MangaID: f.manga, Chapter: 50, Status: &done}, {MangaID: f.openEnd, Chapter: 2}} {
		if _, err := f.svc.Update(ctx, f.userID, origin, u); err != nil {
			t.Fatal(err)
		}
	}
	items, total, err := f.svc.List(ctx, mangahub.ProgressFilter{UserID: f.userID})
	if err != nil || total != 2 || len(items) != 2 || items[0].MangaID != f.openEnd {
		t.Fatalf("List = %v %d %v (most recent first)", items, total, err)
	}
	items, total, _ = f.svc.List(ctx, mangahub.ProgressFilter{UserID: f.userID, Status: mangahub.StatusCompleted})
	if total != 1 || items[0].MangaID != f.manga {
		t.Fatalf("List(completed) = %v %d", items, total)
	}
	if _, _, err := f.svc.List(ctx, mangahub.ProgressFilter{UserID: f.userID, Status: "binge"}); mangahub.ErrorCodeOf(err) != mangahub.CodeValidation {
		t.Fatalf("bad status filter: %v", err)
	}
	for range 2 {
		<-f.events
	}
	if err := f.svc.Delete(ctx, f.userID, origin, f.manga); err != nil {
		t.Fatal(err)
	}
	if ev := <-f.events; ev.Type != mangahub.EventProgressDeleted || ev.MangaID != f.manga {
		t.Fatalf("delete event = %+v", ev)
	}
	if err := f.svc.Delete(ctx, f.userID, origin, f.manga); mangahub.ErrorCodeOf(err) != mangahub.CodeNotFound {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := f.svc.Get(ctx, f.userID, f.manga); mangahub.ErrorCodeOf(err) != mangahub.CodeNotFound {
		t.Fatalf("get after delete: %v", err)
	}
}

// The chapter count is read from the catalog at most once per TTL, and a
// change of it takes effect when the TTL has passed.
func TestChapterCountIsCachedBriefly(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceHTTP}
	f.mu.Lock()
	f.clock = time.Now()
	f.mu.Unlock()
	advance := func(d time.Duration) {
		f.mu.Lock()
		f.clock = f.clock.Add(d)
		f.mu.Unlock()
	}

	for ch := 1; ch <= 3; ch++ {
		if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: ch}); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.lookups.count(); n != 1 {
		t.Fatalf("3 updates made %d catalog lookups, want 1", n)
	}

	sixty := 60
	if _, err := f.cat.UpdateManga(ctx, f.manga, mangahub.MangaUpdate{TotalChapters: &mangahub.OptionalInt{Value: &sixty}}); err != nil {
		t.Fatal(err)
	}
	advance(11 * time.Second)
	if res, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 55}); err != nil || !res.Applied {
		t.Fatalf("chapter 55 after the count became 60: %+v %v", res, err)
	}
	if n := f.lookups.count(); n != 2 {
		t.Fatalf("lookups after the TTL = %d, want 2", n)
	}

	// Unknown manga are not remembered: each try asks again.
	for range 2 {
		if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: 424242, Chapter: 1}); mangahub.ErrorCodeOf(err) != mangahub.CodeMangaNotFound {
			t.Fatalf("unknown manga: %v", err)
		}
	}
	if n := f.lookups.count(); n != 4 {
		t.Fatalf("lookups = %d, want 4", n)
	}
}

// Versions never repeat: after a delete the record comes back at the next
// version, the delete event carries the deleted version, and
// expected_version treats the deleted record as absent.
func TestVersionsContinueAcrossDelete(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceHTTP}
	for ch := 1; ch <= 3; ch++ {
		if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: ch}); err != nil {
			t.Fatal(err)
		}
		<-f.events
	}
	if err := f.svc.Delete(ctx, f.userID, origin, f.manga); err != nil {
		t.Fatal(err)
	}
	ev := <-f.events
	if ev.Type != mangahub.EventProgressDeleted || ev.Progress == nil || ev.Progress.Version != 3 {
		t.Fatalf("delete event = %+v, want progress_deleted at version 3", ev)
	}
	stale := int64(3)
	if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 1, ExpectedVersion: &stale}); !mangahub.IsCode(err, mangahub.CodeConflict) {
		t.Fatalf("expected_version 3 after the delete: %v, want conflict (there is no record)", err)
	}
	none := int64(0)
	res, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 1, ExpectedVersion: &none})
	p, applied := res.Progress, res.Applied
	if err != nil || !applied {
		t.Fatalf("re-create: %v applied=%v", err, applied)
	}
	if p.Version != 4 || p.Chapter != 1 || p.Status != mangahub.StatusReading {
		t.Fatalf("re-created record = %+v, want chapter 1 at version 4 (a lower chapter is fine: it is a new record)", p)
	}
	if got, err := f.svc.Get(ctx, f.userID, f.manga); err != nil || got.Version != 4 {
		t.Fatalf("Get after re-create = %+v, %v", got, err)
	}
}

// While the catalog cannot be read, an expired chapter count still serves
// (the update is checked against it); a manga never seen is unavailable.
func TestChapterCountOutlivesACatalogOutage(t *testing.T) {
	f := newFixture(t, generous)
	ctx := context.Background()
	origin := mangahub.Origin{Source: mangahub.SourceHTTP}
	f.mu.Lock()
	f.clock = time.Now()
	f.mu.Unlock()
	if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 1}); err != nil {
		t.Fatal(err)
	}
	f.lookups.setDown(true)
	f.mu.Lock()
	f.clock = f.clock.Add(time.Minute)
	f.mu.Unlock()
	if res, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 2}); err != nil || !res.Applied {
		t.Fatalf("update with the catalog down and an expired count: %+v err=%v", res, err)
	}
	if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.manga, Chapter: 51}); !mangahub.IsCode(err, mangahub.CodeValidation) {
		t.Errorf("chapter past the expired count: %v, want validation_failed", err)
	}
	if _, err := f.svc.Update(ctx, f.userID, origin, mangahub.ProgressUpdate{MangaID: f.openEnd, Chapter: 1}); !mangahub.IsCode(err, mangahub.CodeUnavailable) {
		t.Errorf("manga never looked up, catalog down: %v, want unavailable", err)
	}
}

// openWithUser opens a migrated SQLite database in a temporary directory
// with one user of id and name in it.
func openWithUser(tb testing.TB, id, name string) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := sqlite.NewUserStore(db).CreateUser(ctx, &mangahub.User{
		ID: id, Username: name, Email: name + "@example.com", PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now(),
	}); err != nil {
		tb.Fatal(err)
	}
	return db
}
