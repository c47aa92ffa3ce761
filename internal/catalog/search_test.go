package catalog_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

func TestSearchNormalisesTheFilter(t *testing.T) {
	tests := []struct {
		name string
		q    catalog.Query
		want mangahub.MangaFilter
	}{
		{"empty query: title order, default page", catalog.Query{},
			mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 20}},
		{"terms are folded words, relevance by default", catalog.Query{Q: "  Pokémon   ADVENTURES! "},
			mangahub.MangaFilter{Terms: []string{"pokemon", "adventures"}, Sort: mangahub.SortRelevance, Limit: 20}},
		{"punctuation inside a word makes a phrase", catalog.Query{Q: "n_ruto 50%"},
			mangahub.MangaFilter{Terms: []string{"n ruto", "50"}, Sort: mangahub.SortRelevance, Limit: 20}},
		{"at most 10 terms", catalog.Query{Q: "a b c d e f g h i j k l"},
			mangahub.MangaFilter{Terms: strings.Fields("a b c d e f g h i j"), Sort: mangahub.SortRelevance, Limit: 20}},
		{"explicit sort wins over relevance", catalog.Query{Q: "one piece", Sort: "-year"},
			mangahub.MangaFilter{Terms: []string{"one", "piece"}, Sort: mangahub.SortYearDesc, Limit: 20}},
		{"relevance without terms falls back to title", catalog.Query{Sort: "relevance"},
			mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 20}},
		{"every sort", catalog.Query{Sort: "-updated_at"},
			mangahub.MangaFilter{Sort: mangahub.SortUpdatedAtDesc, Limit: 20}},
		{"author folded", catalog.Query{Author: "Kōhei HORIKOSHI"},
			mangahub.MangaFilter{Author: "kohei horikoshi", Sort: mangahub.SortTitle, Limit: 20}},
		{"genres trimmed and de-duplicated", catalog.Query{Genres: []string{" Action", "action", "Sci-Fi "}},
			mangahub.MangaFilter{Genres: []string{"Action", "Sci-Fi"}, Sort: mangahub.SortTitle, Limit: 20}},
		{"status", catalog.Query{Status: "hiatus"},
			mangahub.MangaFilter{Status: mangahub.MangaHiatus, Sort: mangahub.SortTitle, Limit: 20}},
		{"page bounds", catalog.Query{Limit: 100, Offset: 1_000_000},
			mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 100, Offset: 1_000_000}},
		{"limit 1", catalog.Query{Limit: 1, Offset: 3},
			mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 1, Offset: 3}},
		{"q of exactly 200 bytes", catalog.Query{Q: strings.Repeat("x", 200)},
			mangahub.MangaFilter{Terms: []string{strings.Repeat("x", 200)}, Sort: mangahub.SortRelevance, Limit: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMangaStore()
			items, total, err := catalog.New(st).Search(context.Background(), tt.q)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if items == nil || total != 0 {
				t.Fatalf("items = %v, total = %d; want an empty, non-nil page", items, total)
			}
			got, ok := st.lastFilter()
			if !ok {
				t.Fatal("the store was not asked")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("filter = %+v\n          want %+v", got, tt.want)
			}
		})
	}
}

// TestSearchOfNoWordFindsNothing: "%" and "_" are not wildcards; a query
// with no letter or digit asks for something no manga holds.
func TestSearchOfNoWordFindsNothing(t *testing.T) {
	for _, q := range []string{"%", "_", "!!! ...", "%_%"} {
		st := newMangaStore()
		items, total, err := catalog.New(st).Search(context.Background(), catalog.Query{Q: q})
		if err != nil || items == nil || len(items) != 0 || total != 0 {
			t.Errorf("Search(%q) = %v, %d, %v; want an empty page", q, items, total, err)
		}
		if f, asked := st.lastFilter(); asked {
			t.Errorf("Search(%q) asked the store for %+v", q, f)
		}
	}
	// Validation still applies.
	_, _, err := catalog.New(newMangaStore()).Search(context.Background(), catalog.Query{Q: "%", Limit: 500})
	if !mangahub.IsCode(err, mangahub.CodeValidation) {
		t.Errorf("Search with a bad limit = %v, want validation_failed", err)
	}
}

func TestSearchValidation(t *testing.T) {
	tests := []struct {
		name  string
		q     catalog.Query
		field string
	}{
		{"q too long", catalog.Query{Q: strings.Repeat("x", 201)}, "q"},
		{"unknown sort", catalog.Query{Sort: "popularity"}, "sort"},
		{"sort is case-sensitive", catalog.Query{Sort: "Title"}, "sort"},
		{"negative limit", catalog.Query{Limit: -1}, "limit"},
		{"limit over 100", catalog.Query{Limit: 101}, "limit"},
		{"negative offset", catalog.Query{Offset: -1}, "offset"},
		{"offset too far", catalog.Query{Offset: 1_000_001}, "offset"},
		{"unknown status", catalog.Query{Status: "paused"}, "status"},
		{"too many genres", catalog.Query{Genres: strings.Fields("a b c d e f g h i j k")}, "genre"},
		{"empty genre", catalog.Query{Genres: []string{"Action", "  "}}, "genre"},
		{"genre too long", catalog.Query{Genres: []string{strings.Repeat("g", 65)}}, "genre"},
		{"author too long", catalog.Query{Author: strings.Repeat("a", 201)}, "author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMangaStore()
			_, _, err := catalog.New(st).Search(context.Background(), tt.q)
			wantField(t, err, tt.field)
			if _, asked := st.lastFilter(); asked {
				t.Fatal("an invalid query reached the store")
			}
		})
	}
}

func TestFindMangaByID(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	m := validManga()
	if err := svc.CreateManga(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got, err := svc.FindMangaByID(context.Background(), m.ID)
	if err != nil || got.Slug != m.Slug {
		t.Fatalf("FindMangaByID = %+v, %v", got, err)
	}
	for _, id := range []int64{0, -1, m.ID + 1} {
		_, err := svc.FindMangaByID(context.Background(), id)
		wantCode(t, err, mangahub.CodeNotFound)
	}
}

func TestSummariesAskTheStoreOnce(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	var ids []int64
	for _, title := range []string{"Naruto", "Bleach", "Monster"} {
		m := &mangahub.Manga{Title: title, Author: "Someone", TotalChapters: ptr(700)}
		if err := svc.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	got, err := svc.Summaries(ctx, append(ids, 999))
	if err != nil {
		t.Fatal(err)
	}
	if st.summaryCalls != 1 {
		t.Errorf("the store was asked %d times, want once", st.summaryCalls)
	}
	if len(got) != 3 || got[ids[1]].Title != "Bleach" || got[ids[1]].Slug != "bleach" || *got[ids[1]].TotalChapters != 700 || got[999] != nil {
		t.Errorf("Summaries = %v", got)
	}
	if got, err := svc.Summaries(ctx, nil); err != nil || len(got) != 0 || st.summaryCalls != 1 {
		t.Errorf("Summaries(nil) = %v, %v after %d calls; want an empty map without asking", got, err, st.summaryCalls)
	}
}
