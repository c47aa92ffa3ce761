package catalog

import (
	"context"
	"io"
	"time"

	"github.com/mangahub/mangahub"
)

// ParseCatalogLimit is ParseCatalog with a smaller bound, so tests can probe
// the edge without reading 32 MiB.
func ParseCatalogLimit(r io.Reader, limit int64) ([]*mangahub.Manga, error) {
	ms, _, err := parseCatalog(r, limit)
	return ms, err
}

// IndexOf indexes the whole catalog of store as it is now, and returns the
// index's answer to a filter.
func IndexOf(ctx context.Context, store mangahub.MangaStore) (func(mangahub.MangaFilter) ([]*mangahub.Manga, int), error) {
	all, _, err := store.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle})
	if err != nil {
		return nil, err
	}
	return newSearchIndex(all, 0, time.Now()).find, nil
}

// IndexedStore answers FindManga from an index of the whole catalog of the
// store it wraps, built anew at every call: the index, tested as if it
// were a store.
type IndexedStore struct{ mangahub.MangaStore }

func (s IndexedStore) FindManga(ctx context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	find, err := IndexOf(ctx, s.MangaStore)
	if err != nil {
		return nil, 0, err
	}
	page, total := find(f)
	return page, total, nil
}

// Indexed reports whether searches are answered from an index now.
func (s *Service) Indexed() bool {
	if s.cache == nil {
		return false
	}
	ix, _ := s.cache.searchIndex()
	return ix != nil
}
