package catalog

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
)

// Search bounds (CONTRACT.md §2 Catalog).
const (
	DefaultLimit   = 20
	MaxLimit       = 100
	MaxOffset      = 1_000_000
	MaxQueryBytes  = 200
	MaxQueryTerms  = 10
	MaxQueryGenres = 10
)

// Query is a catalog search as a transport received it.
type Query struct {
	Q      string
	Genres []string
	Status string
	Author string
	Sort   string
	Limit  int
	Offset int
}

// Search lists the manga that match q, and how many match in all. A q with
// no letter or digit (such as "%") matches nothing.
func (s *Service) Search(ctx context.Context, q Query) (items []*mangahub.Manga, total int, err error) {
	f, err := q.filter()
	if err != nil {
		return nil, 0, err
	}
	if mangahub.MatchesNothing(q.Q) {
		return []*mangahub.Manga{}, 0, nil
	}
	return s.findManga(ctx, f)
}

// filter validates q, reporting every problem at once, and turns it into
// the normalised form stores expect. Validation errors name the query
// parameter.
func (q Query) filter() (mangahub.MangaFilter, error) {
	var (
		f    mangahub.MangaFilter
		errs []error
	)
	if len(q.Q) > MaxQueryBytes {
		errs = append(errs, mangahub.FieldError("q", "must be at most %d bytes", MaxQueryBytes))
	} else if terms := mangahub.SearchTerms(q.Q, MaxQueryTerms); len(terms) > 0 {
		f.Terms = terms // nil otherwise: no term filter
	}

	if len(q.Genres) > MaxQueryGenres {
		errs = append(errs, mangahub.FieldError("genre", "may be given at most %d times", MaxQueryGenres))
	} else {
		genres, err := cleanGenres(q.Genres, "genre")
		f.Genres, errs = genres, append(errs, err)
	}

	if q.Status != "" {
		st := mangahub.MangaStatus(q.Status)
		if !st.Valid() {
			errs = append(errs, mangahub.FieldError("status", "must be one of ongoing, completed, hiatus, cancelled"))
		}
		f.Status = st
	}

	if n := utf8.RuneCountInString(q.Author); n > MaxAuthorLen {
		errs = append(errs, mangahub.FieldError("author", "must be at most %d characters", MaxAuthorLen))
	}
	f.Author = mangahub.FoldSearch(q.Author)

	switch sort := mangahub.MangaSort(q.Sort); {
	case q.Sort == "" && len(f.Terms) > 0:
		f.Sort = mangahub.SortRelevance
	case q.Sort == "":
		f.Sort = mangahub.SortTitle
	case !sort.Valid():
		errs = append(errs, mangahub.FieldError("sort", "must be one of title, -updated_at, year, -year, relevance"))
	case sort == mangahub.SortRelevance && len(f.Terms) == 0:
		// Without terms every entry is equally relevant; title order keeps
		// pages stable and spares stores a special case.
		f.Sort = mangahub.SortTitle
	default:
		f.Sort = sort
	}

	var err error
	f.Limit, f.Offset, err = page(q.Limit, q.Offset)
	if err := mangahub.ValidationOf(append(errs, err)...); err != nil {
		return mangahub.MangaFilter{}, err
	}
	return f, nil
}

// page validates a limit and offset pair, both at once; a zero limit means
// the default.
func page(limit, offset int) (int, int, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	var errs []error
	if limit < 1 || limit > MaxLimit {
		errs = append(errs, mangahub.FieldError("limit", "must be between 1 and %d", MaxLimit))
	}
	if offset < 0 || offset > MaxOffset {
		errs = append(errs, mangahub.FieldError("offset", "must be between 0 and %d", MaxOffset))
	}
	if err := mangahub.ValidationOf(errs...); err != nil {
		return 0, 0, err
	}
	return limit, offset, nil
}

// findManga answers from the search index when there is one, and asks the
// store otherwise. It never hands a nil slice to a transport, so an empty
// page is [] in JSON, not null.
func (s *Service) findManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	if ix := s.currentIndex(); ix != nil {
		items, total := ix.find(f)
		return items, total, nil
	}
	items, total, err := s.store.FindManga(ctx, f)
	if err != nil {
		return nil, 0, storeError(err)
	}
	if items == nil {
		items = []*mangahub.Manga{}
	}
	return items, total, nil
}

// maxIndexedManga bounds the catalog kept in memory for searches: a manga
// takes one to two kilobytes there (itself and its trigrams), so at most
// about 100 MB. A larger catalog is searched in the database.
const maxIndexedManga = 50_000

// indexBuildTimeout bounds one build of the search index.
const indexBuildTimeout = time.Minute

// currentIndex returns the index that may answer now, nil when there is
// none ("ask the store": no cache, a catalog too large, a build not done
// yet). When there is none, or it is half way through its TTL, it starts a
// build in the background unless one runs: no request waits for a build
// (about 0.1 s at 20,000 manga), and under steady load the current index
// answers until the next one is in place.
func (s *Service) currentIndex() *searchIndex {
	if s.cache == nil {
		return nil
	}
	ix, rebuild := s.cache.searchIndex()
	if rebuild && s.cache.startIndexing() {
		current := s.cache.latestIndex()
		// Not the request's context, which may end first: the service's,
		// which Close ends; the timeout bounds a build stuck on the
		// database.
		ctx, cancel := context.WithTimeout(s.background, indexBuildTimeout)
		s.cache.builds.Go(func() {
			defer cancel()
			s.buildIndex(ctx, current)
		})
	}
	return ix
}

// WaitIndexing waits for the search index build under way, if any (tests
// and benchmarks that must know the index is in place).
func (s *Service) WaitIndexing() {
	if s.cache != nil {
		s.cache.builds.Wait()
	}
}

// buildIndex makes the next index: current again, if the catalog's
// version says nothing changed since it was read (one row read instead of
// the whole catalog: about 0.4 s of CPU at 20,000 manga on SQLite, every
// half TTL), else the whole catalog read and indexed, unless it is too
// large. It is kept only if no write came in through this service since it
// began.
func (s *Service) buildIndex(ctx context.Context, current *searchIndex) {
	gen, started := s.cache.generation(), s.now()
	// The version first: a change between the two reads leaves an index
	// newer than its version says, which the next check reads again.
	version, err := s.store.FindCatalogVersion(ctx)
	if err != nil {
		s.cache.putIndex(gen, nil) // the next search tries again
		return
	}
	if current != nil && current.version == version {
		s.cache.putIndex(gen, current.renewed(started))
		return
	}
	_, size, err := s.store.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 1})
	if err == nil && size > maxIndexedManga {
		s.cache.tooLargeToIndex()
		return
	}
	var all []*mangahub.Manga
	if err == nil {
		// Limit 0: every manga, in one statement (one consistent read).
		all, _, err = s.store.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle})
	}
	if err != nil || len(all) > maxIndexedManga {
		s.cache.putIndex(gen, nil)
		return
	}
	s.cache.putIndex(gen, newSearchIndex(all, version, started))
}

// Summaries returns the summaries of the manga with ids, by ID, from the
// search index when there is one, else from the cache when it holds them
// all, else asking the store once however many there are; IDs of no manga
// are left out. A library page is shown with one call, not one per entry.
func (s *Service) Summaries(ctx context.Context, ids []int64) (map[int64]*mangahub.MangaSummary, error) {
	out := make(map[int64]*mangahub.MangaSummary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if ix := s.currentIndex(); ix != nil {
		for _, id := range ids {
			if m := ix.manga(id); m != nil {
				out[id] = summaryOf(m)
			}
		}
		return out, nil
	}
	if s.cache != nil {
		// The library of an active reader is mostly manga read by ID
		// lately: when all are cached, the store is not asked.
		for _, id := range ids {
			m, ok := s.cache.findManga(id)
			if !ok {
				clear(out)
				break
			}
			out[id] = summaryOf(m)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	ms, err := s.store.FindMangaSummaries(ctx, ids)
	if err != nil {
		return nil, storeError(err)
	}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out, nil
}

func summaryOf(m *mangahub.Manga) *mangahub.MangaSummary {
	return &mangahub.MangaSummary{ID: m.ID, Slug: m.Slug, Title: m.Title, TotalChapters: m.TotalChapters, CoverURL: m.CoverURL}
}

// FindMangaByID returns one manga; CodeNotFound when there is none. The
// manga may be shared with other callers (see readCache): it must not be
// modified.
func (s *Service) FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error) {
	if id <= 0 {
		return nil, errMangaNotFound
	}
	var gen uint64
	if s.cache != nil {
		if m, ok := s.cache.findManga(id); ok {
			return m, nil
		}
		gen = s.cache.generation()
	}
	m, err := s.store.FindMangaByID(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	if s.cache != nil {
		s.cache.putManga(gen, m)
	}
	return m, nil
}

// cleanGenres trims genre names, checks each, and drops case-insensitive
// duplicates (keeping the first spelling). field names the input in errors.
func cleanGenres(in []string, field string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	var errs []error
	for _, g := range in {
		g = strings.TrimSpace(g)
		if err := checkGenreName(g, field); err != nil {
			errs = append(errs, err)
			continue
		}
		key := mangahub.GenreKey(g)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, g)
	}
	if err := mangahub.ValidationOf(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
