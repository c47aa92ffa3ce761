package catalog_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// mangaStore is an in-memory mangahub.MangaStore that records what reaches
// it. FindManga ignores the filter (apart from Limit): the stores' own tests
// cover filtering; here only the normalised filter matters.
type mangaStore struct {
	mu      sync.Mutex
	manga   []*mangahub.Manga
	genres  []*mangahub.Genre
	nextID  int64
	filters []mangahub.MangaFilter
	updates []mangahub.MangaUpdate
	puts    int
	creates int
	// summaryCalls counts FindMangaSummaries calls.
	summaryCalls int
	// beyond is what PutManga reports as readers past the end, by slug.
	beyond map[string]int
	// version is FindCatalogVersion's: moved by every write.
	version int64
}

func newMangaStore() *mangaStore { return &mangaStore{} }

func (s *mangaStore) FindMangaByID(_ context.Context, id int64) (*mangahub.Manga, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.manga {
		if m.ID == id {
			c := *m
			return &c, nil
		}
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
}

func (s *mangaStore) FindManga(_ context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.filters = append(s.filters, f)
	var out []*mangahub.Manga
	for i := f.Offset; i < len(s.manga) && len(out) < f.Limit; i++ {
		c := *s.manga[i]
		out = append(out, &c)
	}
	return out, len(s.manga), nil
}

func (s *mangaStore) FindMangaSummaries(_ context.Context, ids []int64) ([]*mangahub.MangaSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summaryCalls++
	out := []*mangahub.MangaSummary{}
	for _, m := range s.manga {
		if slices.Contains(ids, m.ID) {
			out = append(out, &mangahub.MangaSummary{ID: m.ID, Slug: m.Slug, Title: m.Title, TotalChapters: m.TotalChapters, CoverURL: m.CoverURL})
		}
	}
	return out, nil
}

func (s *mangaStore) insert(m *mangahub.Manga) error {
	for _, o := range s.manga {
		if o.Slug == m.Slug {
			return mangahub.Errorf(mangahub.CodeConflict, "slug is taken")
		}
	}
	s.nextID++
	m.ID, m.CreatedAt, m.UpdatedAt = s.nextID, t0, t0
	c := *m
	s.manga = append(s.manga, &c)
	return nil
}

func (s *mangaStore) CreateManga(_ context.Context, m *mangahub.Manga) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // whether or not it changes anything: allowed, and simpler
	s.creates++
	return s.insert(m)
}

func (s *mangaStore) UpdateManga(_ context.Context, id int64, upd mangahub.MangaUpdate) (*mangahub.Manga, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // whether or not it changes anything: allowed, and simpler
	s.updates = append(s.updates, upd)
	for _, m := range s.manga {
		if m.ID != id {
			continue
		}
		if upd.Title != nil {
			m.Title = *upd.Title
		}
		if upd.Year != nil {
			m.Year = upd.Year.Value
		}
		c := *m
		return &c, nil
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
}

func (s *mangaStore) DeleteManga(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // whether or not it changes anything: allowed, and simpler
	for i, m := range s.manga {
		if m.ID == id {
			s.manga = append(s.manga[:i], s.manga[i+1:]...)
			return nil
		}
	}
	return mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
}

func (s *mangaStore) PutManga(_ context.Context, m *mangahub.Manga) (mangahub.PutResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // whether or not it changes anything: allowed, and simpler
	s.puts++
	for i, o := range s.manga {
		if o.Slug == m.Slug {
			if o.SameContent(m) {
				*m = *o
				return mangahub.PutResult{Outcome: mangahub.PutUnchanged}, nil
			}
			m.ID, m.CreatedAt, m.UpdatedAt = o.ID, o.CreatedAt, t0
			c := *m
			s.manga[i] = &c
			return mangahub.PutResult{Outcome: mangahub.PutUpdated, Beyond: s.beyond[m.Slug]}, nil
		}
	}
	return mangahub.PutResult{Outcome: mangahub.PutCreated}, s.insert(m)
}

func (s *mangaStore) FindCatalogVersion(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, nil
}

func (s *mangaStore) FindGenres(context.Context) ([]*mangahub.Genre, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*mangahub.Genre(nil), s.genres...), nil
}

func (s *mangaStore) FindGenreByID(_ context.Context, id int64) (*mangahub.Genre, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.genres {
		if g.ID == id {
			c := *g
			return &c, nil
		}
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "genre not found")
}

func (s *mangaStore) CreateGenre(_ context.Context, name string) (*mangahub.Genre, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++ // whether or not it changes anything: allowed, and simpler
	for _, g := range s.genres {
		if strings.EqualFold(g.Name, name) {
			return nil, mangahub.Errorf(mangahub.CodeConflict, "genre exists")
		}
	}
	g := &mangahub.Genre{ID: int64(len(s.genres) + 1), Name: name}
	s.genres = append(s.genres, g)
	c := *g
	return &c, nil
}

func (s *mangaStore) lastFilter() (mangahub.MangaFilter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.filters) == 0 {
		return mangahub.MangaFilter{}, false
	}
	return s.filters[len(s.filters)-1], true
}

func (s *mangaStore) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts + s.creates + len(s.updates)
}

func (s *mangaStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.manga)
}
