package loadtest

import (
	"context"
	"reflect"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

// filterSpy is a MangaStore that records the filter of FindManga; any other
// method would panic on the nil embedded interface.
type filterSpy struct {
	mangahub.MangaStore
	got mangahub.MangaFilter
}

func (s *filterSpy) FindManga(_ context.Context, f mangahub.MangaFilter) ([]*mangahub.Manga, int, error) {
	s.got = f
	return nil, 0, nil
}

// The store driver must send the store what the HTTP path sends it, or the
// comparison would measure different queries.
func TestSearchFilterMatchesCatalogService(t *testing.T) {
	for _, q := range append([]string{"", "  "}, DefaultQueries...) {
		spy := &filterSpy{}
		if _, _, err := catalog.New(spy).Search(t.Context(), catalog.Query{Q: q}); err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if got := SearchFilter(q); !reflect.DeepEqual(got, spy.got) {
			t.Errorf("SearchFilter(%q) = %+v, catalog service uses %+v", q, got, spy.got)
		}
	}
}

func TestParseQueries(t *testing.T) {
	if got := ParseQueries(" "); !reflect.DeepEqual(got, DefaultQueries) {
		t.Errorf("empty list = %v, want the defaults", got)
	}
	if got, want := ParseQueries("a b| c ||d"), []string{"a b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseQueries = %q, want %q", got, want)
	}
}
