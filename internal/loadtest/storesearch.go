package loadtest

import (
	"context"

	"github.com/mangahub/mangahub"
)

// StoreSearch calls MangaStore.FindManga with the filter the catalog service
// would build for the same query: the HTTP driver's work minus HTTP, auth,
// routing, validation and JSON.
type StoreSearch struct {
	store   mangahub.MangaStore
	queries []string
	filters []mangahub.MangaFilter
}

// NewStoreSearch returns a driver over store.
func NewStoreSearch(store mangahub.MangaStore, queries []string) *StoreSearch {
	s := &StoreSearch{store: store, queries: queries, filters: make([]mangahub.MangaFilter, len(queries))}
	for i, q := range queries {
		s.filters[i] = SearchFilter(q)
	}
	return s
}

// Op is the closed-loop operation: one FindManga.
func (s *StoreSearch) Op(ctx context.Context, client, seq int) error {
	f := s.filters[(client+seq)%len(s.filters)]
	_, _, err := s.store.FindManga(ctx, f)
	return err
}
