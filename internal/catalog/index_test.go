package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/postgres"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
)

func openSQLite(tb testing.TB) mangahub.MangaStore {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "mangahub.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return sqlite.NewMangaStore(db)
}

func openPostgres(tb testing.TB) mangahub.MangaStore {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), testenv.PostgresURL(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return postgres.NewMangaStore(db)
}

// TestIndexConformance runs the stores' search suite against the index:
// every example, sort, filter and page of it must come out as from the
// store the index was built from, on either engine.
func TestIndexConformance(t *testing.T) {
	for name, open := range map[string]func(testing.TB) mangahub.MangaStore{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			storetest.RunSearch(t, func(t *testing.T) storetest.Stores {
				return storetest.Stores{Manga: catalog.IndexedStore{MangaStore: open(t)}}
			})
		})
	}
}

// TestIndexMatchesTheStore compares the index with SQLite over a generated
// catalog and random filters: terms that are words, prefixes, inner parts
// and one or two letters, authors, genres in any case, statuses, every sort,
// and pages anywhere.
func TestIndexMatchesTheStore(t *testing.T) {
	store := openSQLite(t)
	ctx := t.Context()
	ms := storetest.GenerateManga(800)
	for _, m := range ms {
		if err := store.CreateManga(ctx, m); err != nil {
			t.Fatalf("CreateManga: %v", err)
		}
	}
	find, err := catalog.IndexOf(ctx, store)
	if err != nil {
		t.Fatalf("IndexOf: %v", err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var pieces []string // folded words of titles and authors
	for _, m := range ms {
		pieces = append(pieces, strings.Fields(mangahub.FoldSearch(m.Title+" "+m.Author))...)
	}
	piece := func() string {
		w := pieces[rng.IntN(len(pieces))]
		switch rng.IntN(4) {
		case 0: // a prefix
			return w[:1+rng.IntN(len(w))]
		case 1: // an inner part
			i := rng.IntN(len(w))
			return w[i : i+1+rng.IntN(len(w)-i)]
		case 2: // two words as a phrase, which may not occur
			return w + " " + pieces[rng.IntN(len(pieces))]
		}
		return w
	}
	genres := []string{"action", "DRAMA", "Sci-Fi", "sports", "Horror", "none"}
	statuses := []mangahub.MangaStatus{"", mangahub.MangaOngoing, mangahub.MangaCompleted, mangahub.MangaHiatus}
	sorts := []mangahub.MangaSort{mangahub.SortTitle, mangahub.SortUpdatedAtDesc, mangahub.SortYear, mangahub.SortYearDesc, mangahub.SortRelevance}

	matched := 0
	for i := range 400 {
		var f mangahub.MangaFilter
		for range rng.IntN(4) {
			f.Terms = append(f.Terms, mangahub.FoldSearch(piece()))
		}
		if rng.IntN(5) == 0 {
			f.Author = mangahub.FoldSearch(piece())
		}
		for range rng.IntN(3) / 2 * (1 + rng.IntN(2)) {
			f.Genres = append(f.Genres, genres[rng.IntN(len(genres))])
		}
		f.Status = statuses[rng.IntN(len(statuses))]
		f.Sort = sorts[rng.IntN(len(sorts))]
		f.Limit = 1 + rng.IntN(100)
		if rng.IntN(3) == 0 {
			f.Offset = rng.IntN(200)
		}
		want, wantTotal, err := store.FindManga(ctx, f)
		if err != nil {
			t.Fatalf("store FindManga(%+v): %v", f, err)
		}
		got, gotTotal := find(f)
		if gotTotal != wantTotal || !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("query %d %+v:\nindex %d %v\nstore %d %v", i, f, gotTotal, ids(got), wantTotal, ids(want))
		}
		if wantTotal > 0 {
			matched++
		}
	}
	if matched < 130 {
		t.Fatalf("only %d of 400 queries matched anything: the comparison proves little", matched)
	}
}

func ids(ms []*mangahub.Manga) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// search searches for q twice: as the service answers first (from the
// store while the index is built) and once the index is built; both must
// agree.
func search(t *testing.T, svc *catalog.Service, q string) []int64 {
	t.Helper()
	first := searchOnce(t, svc, q)
	// A build that was under way when a write came in is dropped: the
	// next search starts another.
	for range 2 {
		if svc.WaitIndexing(); !svc.Indexed() {
			searchOnce(t, svc, q)
		}
	}
	if svc.WaitIndexing(); !svc.Indexed() {
		t.Fatalf("Search(%q): no index once its build is over", q)
	}
	if then := searchOnce(t, svc, q); !slices.Equal(then, first) {
		t.Fatalf("Search(%q): %v, then from the index %v", q, first, then)
	}
	return first
}

func searchOnce(t *testing.T, svc *catalog.Service, q string) []int64 {
	t.Helper()
	items, total, err := svc.Search(t.Context(), catalog.Query{Q: q, Limit: 100})
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	if total != len(items) {
		t.Fatalf("Search(%q): total %d for %d items", q, total, len(items))
	}
	return ids(items)
}

// TestSearchSeesEveryWriteAtOnce: each write through the service shows in
// the very next search, and in the index built after it.
func TestSearchSeesEveryWriteAtOnce(t *testing.T) {
	svc := catalog.New(openSQLite(t), catalog.CacheFor(time.Hour))
	ctx := t.Context()
	m := validManga()
	m.Title = "Alpha Quest"
	if err := svc.CreateManga(ctx, m); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
	if got := search(t, svc, "alpha"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after create: %v", got)
	}
	if _, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: ptr("Omega Quest")}); err != nil {
		t.Fatalf("UpdateManga: %v", err)
	}
	if got := search(t, svc, "alpha"); len(got) != 0 {
		t.Fatalf("old title still found after rename: %v", got)
	}
	if got := search(t, svc, "omega"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("new title after rename: %v", got)
	}
	if _, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Genres: &[]string{"Horror"}}); err != nil {
		t.Fatalf("UpdateManga genres: %v", err)
	}
	for range 2 { // from the store, then from the index
		items, _, err := svc.Search(ctx, catalog.Query{Genres: []string{"horror"}})
		if err != nil || !slices.Equal(ids(items), []int64{m.ID}) {
			t.Fatalf("genre after update: %v, %v", ids(items), err)
		}
		svc.WaitIndexing()
	}
	if err := svc.DeleteManga(ctx, m.ID); err != nil {
		t.Fatalf("DeleteManga: %v", err)
	}
	if got := search(t, svc, "omega"); len(got) != 0 {
		t.Fatalf("deleted manga still found: %v", got)
	}
}

// gatedStore holds the read of the whole catalog (an index being built)
// until released, after it has read.
type gatedStore struct {
	mangahub.MangaStore
	read, release chan struct{}
}

func (s *gatedStore) FindManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	page, total, err := s.MangaStore.FindManga(ctx, f)
	if f.Limit == 0 && s.read != nil {
		close(s.read)
		<-s.release
		s.read = nil
	}
	return page, total, err
}

// TestIndexReadBeforeAWriteIsDropped: an index built from a read that a
// write overtook must not be kept, or it would answer without the write.
func TestIndexReadBeforeAWriteIsDropped(t *testing.T) {
	store := &gatedStore{MangaStore: openSQLite(t), read: make(chan struct{}), release: make(chan struct{})}
	svc := catalog.New(store, catalog.CacheFor(time.Hour))
	ctx := t.Context()

	if got := searchOnce(t, svc, "late"); len(got) != 0 { // starts a build
		t.Fatalf("empty catalog: %v", got)
	}
	<-store.read // the build has read the (empty) catalog
	m := validManga()
	m.Title = "Late Arrival"
	if err := svc.CreateManga(ctx, m); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
	close(store.release)
	svc.WaitIndexing()
	if svc.Indexed() {
		t.Fatal("an index read before the write was kept")
	}
	if got := search(t, svc, "late"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("search after the write: %v, want [%d]", got, m.ID)
	}
}

// TestIndexFollowsOtherWritersWithinTTL: a write made behind the service's
// back (another process on the same file) shows once half the TTL has
// passed, and an index never answers past its TTL.
func TestIndexFollowsOtherWritersWithinTTL(t *testing.T) {
	store := openSQLite(t)
	clock := testenv.NewClock(time.Now())
	svc := catalog.New(store, catalog.CacheFor(10*time.Second), catalog.WithClock(clock.Now))
	ctx := t.Context()
	if got := search(t, svc, "hidden"); len(got) != 0 {
		t.Fatalf("empty catalog: %v", got)
	}
	m := validManga()
	m.Title, m.Slug = "Hidden Door", "hidden-door"
	if err := store.CreateManga(ctx, m); err != nil { // not through svc
		t.Fatalf("CreateManga: %v", err)
	}
	if got := searchOnce(t, svc, "hidden"); len(got) != 0 {
		t.Fatalf("within the first half of the TTL the index answers, without the write: %v", got)
	}
	clock.Add(5 * time.Second)
	// Half way through its TTL the index still answers, and a new one is
	// built.
	if got := searchOnce(t, svc, "hidden"); len(got) != 0 {
		t.Fatalf("half way through the TTL: %v, want the index's answer", got)
	}
	svc.WaitIndexing()
	if got := searchOnce(t, svc, "hidden"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after the next build: %v, want [%d]", got, m.ID)
	}
	// An index past its TTL never answers (this one would find the manga
	// deleted behind the service's back): the store does.
	if err := store.DeleteManga(ctx, m.ID); err != nil {
		t.Fatalf("DeleteManga: %v", err)
	}
	clock.Add(10 * time.Second)
	if got := searchOnce(t, svc, "hidden"); len(got) != 0 {
		t.Fatalf("past the TTL: %v, want the store's answer", got)
	}
}

// TestSearchesDuringWrites runs searches while other goroutines write: each
// writer's manga must be found by the writer's next search, whatever the
// index builds in between (go test -race checks the sharing).
func TestSearchesDuringWrites(t *testing.T) {
	svc := catalog.New(openSQLite(t), catalog.CacheFor(time.Hour))
	ctx := t.Context()
	stop := make(chan struct{})
	var searchers sync.WaitGroup
	for range 2 {
		searchers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := svc.Search(ctx, catalog.Query{Q: "writer"}); err != nil {
					t.Errorf("Search: %v", err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 3 {
		writers.Go(func() {
			for i := range 15 {
				m := validManga()
				m.Title = fmt.Sprintf("Writer %c%c Book", 'a'+w, 'a'+i)
				if err := svc.CreateManga(ctx, m); err != nil {
					t.Errorf("CreateManga: %v", err)
					return
				}
				word := fmt.Sprintf("writer %c%c", 'a'+w, 'a'+i)
				items, _, err := svc.Search(ctx, catalog.Query{Q: word})
				if err != nil || !slices.Contains(ids(items), m.ID) {
					t.Errorf("right after creating %q, a search for %q found %v (%v)", m.Title, word, ids(items), err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	searchers.Wait()
	if got := search(t, svc, "writer"); len(got) != 45 {
		t.Fatalf("found %d of 45 written manga", len(got))
	}
}

// readCountingStore counts the reads of the whole catalog.
type readCountingStore struct {
	mangahub.MangaStore
	mu    sync.Mutex
	reads int
}

func (s *readCountingStore) FindManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	if f.Limit == 0 {
		s.mu.Lock()
		s.reads++
		s.mu.Unlock()
	}
	return s.MangaStore.FindManga(ctx, f)
}

func (s *readCountingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// TestUnchangedCatalogIsNotReadAgain: past half its TTL, an index whose
// catalog version is still the store's answers for another TTL without the
// catalog being read again; a change made behind the service's back moves
// the version and is read.
func TestUnchangedCatalogIsNotReadAgain(t *testing.T) {
	store := &readCountingStore{MangaStore: openSQLite(t)}
	clock := testenv.NewClock(time.Now())
	svc := catalog.New(store, catalog.CacheFor(10*time.Second), catalog.WithClock(clock.Now))
	ctx := t.Context()
	search(t, svc, "anything")
	if n := store.count(); n != 1 {
		t.Fatalf("%d reads of the whole catalog to build the first index, want 1", n)
	}
	for range 3 { // 18 s in all: the first index's TTL is long past
		clock.Add(6 * time.Second)
		search(t, svc, "anything")
	}
	if n := store.count(); n != 1 {
		t.Fatalf("%d reads of an unchanged catalog, want 1", n)
	}
	m := validManga()
	m.Title, m.Slug = "Behind The Back", "behind-the-back"
	if err := store.CreateManga(ctx, m); err != nil { // not through svc
		t.Fatalf("CreateManga: %v", err)
	}
	clock.Add(6 * time.Second)
	searchOnce(t, svc, "behind") // the index still answers, and a build starts
	svc.WaitIndexing()
	if got := searchOnce(t, svc, "behind"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after the catalog changed: %v, want [%d]", got, m.ID)
	}
	if n := store.count(); n != 2 {
		t.Fatalf("%d reads of the whole catalog, want 2", n)
	}
}
