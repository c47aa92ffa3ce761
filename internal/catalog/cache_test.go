package catalog_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/testenv"
)

// countingStore counts the reads the cache should spare, and can run a
// function in the middle of a read (after the store read, before the
// service sees the result).
type countingStore struct {
	*mangaStore
	mu           sync.Mutex
	byID, genres int
	duringRead   func()
}

func (s *countingStore) FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error) {
	m, err := s.mangaStore.FindMangaByID(ctx, id)
	s.mu.Lock()
	s.byID++
	during := s.duringRead
	s.duringRead = nil
	s.mu.Unlock()
	if during != nil {
		during()
	}
	return m, err
}

func (s *countingStore) FindGenres(ctx context.Context) ([]*mangahub.Genre, error) {
	s.mu.Lock()
	s.genres++
	s.mu.Unlock()
	return s.mangaStore.FindGenres(ctx)
}

func (s *countingStore) reads() (byID, genres int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID, s.genres
}

func newCached(t *testing.T, ttl time.Duration) (*catalog.Service, *countingStore, *testenv.Clock) {
	t.Helper()
	store := &countingStore{mangaStore: newMangaStore()}
	clk := testenv.NewClock(t0)
	return catalog.New(store, catalog.CacheFor(ttl), catalog.WithClock(clk.Now)), store, clk
}

func mustCreate(t *testing.T, svc *catalog.Service, title string) *mangahub.Manga {
	t.Helper()
	m := validManga()
	m.Title = title
	if err := svc.CreateManga(t.Context(), m); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
	return m
}

func mustFind(t *testing.T, svc *catalog.Service, id int64) *mangahub.Manga {
	t.Helper()
	m, err := svc.FindMangaByID(t.Context(), id)
	if err != nil {
		t.Fatalf("FindMangaByID(%d): %v", id, err)
	}
	return m
}

func TestCacheServesReadsUntilTheTTL(t *testing.T) {
	svc, store, clk := newCached(t, 5*time.Second)
	m := mustCreate(t, svc, "Frieren")
	for range 3 {
		mustFind(t, svc, m.ID)
		if _, err := svc.Genres(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if byID, genres := store.reads(); byID != 1 || genres != 1 {
		t.Fatalf("store reads after three of each: %d by ID, %d genre lists; want 1, 1", byID, genres)
	}
	clk.Add(5 * time.Second)
	mustFind(t, svc, m.ID)
	if _, err := svc.Genres(t.Context()); err != nil {
		t.Fatal(err)
	}
	if byID, genres := store.reads(); byID != 2 || genres != 2 {
		t.Fatalf("store reads after the TTL: %d by ID, %d genre lists; want 2, 2", byID, genres)
	}
}

func TestCacheWithoutTTLReadsTheStore(t *testing.T) {
	store := &countingStore{mangaStore: newMangaStore()}
	svc := catalog.New(store)
	m := mustCreate(t, svc, "Frieren")
	mustFind(t, svc, m.ID)
	mustFind(t, svc, m.ID)
	if byID, _ := store.reads(); byID != 2 {
		t.Fatalf("store reads: %d, want 2", byID)
	}
}

// Every write through the service is seen by the next read, however long
// the TTL.
func TestCacheWritesInvalidate(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newCached(t, time.Hour)
	m := mustCreate(t, svc, "Frieren")
	mustFind(t, svc, m.ID)
	gs, err := svc.Genres(ctx)
	if err != nil {
		t.Fatal(err)
	}

	title := "Sousou no Frieren"
	if _, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, svc, m.ID).Title; got != title {
		t.Errorf("after UpdateManga: title %q, want %q", got, title)
	}

	if _, err := svc.CreateGenre(ctx, "Isekai"); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Genres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(gs)+1 {
		t.Errorf("after CreateGenre: %d genres, want %d", len(after), len(gs)+1)
	}

	imported := validManga()
	imported.Slug, imported.Title = mustFind(t, svc, m.ID).Slug, "Imported Title"
	if _, err := svc.ImportCatalog(ctx, []*mangahub.Manga{imported}); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, svc, m.ID).Title; got != "Imported Title" {
		t.Errorf("after ImportCatalog: title %q, want Imported Title", got)
	}

	if err := svc.DeleteManga(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FindMangaByID(ctx, m.ID); !mangahub.IsCode(err, mangahub.CodeNotFound) {
		t.Errorf("after DeleteManga: %v, want not found", err)
	}
}

// A read that got the old state from the store before a write must not put
// it in the cache after the write emptied it.
func TestCacheReadRacingAWrite(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newCached(t, time.Hour)
	m := mustCreate(t, svc, "Frieren")
	title := "Sousou no Frieren"
	store.mu.Lock()
	store.duringRead = func() {
		if _, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: &title}); err != nil {
			t.Errorf("UpdateManga: %v", err)
		}
	}
	store.mu.Unlock()
	if got := mustFind(t, svc, m.ID).Title; got != "Frieren" {
		t.Fatalf("the racing read: %q, want the state it read, Frieren", got)
	}
	if got := mustFind(t, svc, m.ID).Title; got != title {
		t.Errorf("the read after the write: %q, want %q", got, title)
	}
}

func TestCacheServesSummaries(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newCached(t, time.Hour)
	a, b := mustCreate(t, svc, "A"), mustCreate(t, svc, "B")
	mustFind(t, svc, a.ID)
	mustFind(t, svc, b.ID)
	sums, err := svc.Summaries(ctx, []int64{a.ID, b.ID})
	if err != nil || len(sums) != 2 || sums[a.ID].Title != "A" || sums[b.ID].Title != "B" {
		t.Fatalf("Summaries: %v, %v", sums, err)
	}
	if store.summaryCalls != 0 {
		t.Errorf("the store was asked for summaries of cached manga (%d calls)", store.summaryCalls)
	}
	c := mustCreate(t, svc, "C") // empties the cache
	sums, err = svc.Summaries(ctx, []int64{a.ID, c.ID})
	if err != nil || len(sums) != 2 || sums[c.ID].Title != "C" {
		t.Fatalf("Summaries with uncached manga: %v, %v", sums, err)
	}
	if store.summaryCalls != 1 {
		t.Errorf("summary calls for uncached manga: %d, want 1", store.summaryCalls)
	}
}

// In a cluster every instance's Service announces its writes on the bus,
// and the others empty their caches when they hear one, long before the
// TTL; an instance that does not listen serves what it cached until then.
func TestCacheEmptiedByAnotherInstancesWrite(t *testing.T) {
	ctx := context.Background()
	store, bus := newMangaStore(), inmem.NewBus()
	instance := func(listen bool) *catalog.Service {
		svc := catalog.New(store, catalog.CacheFor(time.Hour), catalog.Announce(bus))
		if listen {
			stop, err := svc.Listen(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
		}
		return svc
	}
	a, b, deaf := instance(true), instance(true), instance(false)
	m := mustCreate(t, a, "Frieren")
	mustFind(t, b, m.ID)
	mustFind(t, deaf, m.ID)
	if _, err := b.Genres(ctx); err != nil {
		t.Fatal(err)
	}

	title := "Sousou no Frieren"
	if _, err := a.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, b, m.ID).Title; got != title {
		t.Errorf("another listening instance after the update: title %q, want %q", got, title)
	}
	if got := mustFind(t, deaf, m.ID).Title; got != "Frieren" {
		t.Errorf("an instance that does not listen: title %q, want the cached Frieren until the TTL", got)
	}

	if _, err := a.CreateGenre(ctx, "Isekai"); err != nil {
		t.Fatal(err)
	}
	gs, err := b.Genres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(gs, func(g *mangahub.Genre) bool { return g.Name == "Isekai" }) {
		t.Errorf("another instance's genres after CreateGenre: %d genres without Isekai", len(gs))
	}
}
