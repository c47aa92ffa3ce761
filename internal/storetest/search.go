package storetest

import (
	"fmt"
	"testing"

	"github.com/mangahub/mangahub"
)

// catalog is the search fixture, created in this order (so IDs ascend in it).
// It holds equal titles, equal and unknown years, accents, a term found only
// in an author, alternative titles, punctuation, whole words, prefixes and
// substrings of the same term, and non-Latin text, so that every rule has
// something to bite.
func catalog() []*mangahub.Manga {
	return []*mangahub.Manga{
		{Slug: "pokemon-adventures", Title: "Pokémon Adventures", AltTitles: []string{"Pocket Monsters SPECIAL"}, Author: "Hidenori Kusaka",
			Status: mangahub.MangaOngoing, Year: ptr(1997), Genres: []string{"Adventure", "Fantasy"}},
		{Slug: "my-hero-academia", Title: "My Hero Academia", AltTitles: []string{"Boku no Hero Academia", "MHA"}, Author: "Kōhei Horikoshi",
			Status: mangahub.MangaCompleted, Year: ptr(2014), Genres: []string{"Action", "Superhero"}},
		{Slug: "one-piece", Title: "One Piece", Author: "Eiichiro Oda",
			Status: mangahub.MangaOngoing, Year: ptr(1997), Genres: []string{"Action", "Adventure", "Comedy"}},
		{Slug: "one-piece-film-red", Title: "One Piece Film Red", Author: "Eiichiro Oda",
			Status: mangahub.MangaCompleted, Year: ptr(2022), Genres: []string{"Action", "Adventure"}},
		{Slug: "someones-piece", Title: "Someone's Piece", Author: "Ana Lima",
			Status: mangahub.MangaHiatus, Genres: []string{"Drama"}},
		{Slug: "piece-of-one", Title: "Piece of One", Author: "Ken Akamatsu",
			Status: mangahub.MangaOngoing, Year: ptr(2001), Genres: []string{"Comedy"}},
		{Slug: "fan-book", Title: "Fan Book", Author: "One Piece Fanclub",
			Status: mangahub.MangaCancelled, Genres: []string{"Comedy"}},
		{Slug: "one-piece-2", Title: "One Piece", Author: "Other Author",
			Status: mangahub.MangaOngoing, Year: ptr(1997), Genres: []string{"Action"}},
		{Slug: "barakamon", Title: "Barakamon", Author: "Satsuki Yoshino",
			Status: mangahub.MangaCompleted, Year: ptr(2009), Genres: []string{"Comedy", "Slice of Life"}},
		{Slug: "vagabond", Title: "Vagabond", Author: "Takehiko Inoue",
			Status: mangahub.MangaHiatus, Year: ptr(1998), Genres: []string{"Action", "Drama"}},
		{Slug: "shingeki", Title: "進撃の巨人", AltTitles: []string{"Shingeki no Kyojin", "Attack on Titan"}, Author: "諫山創",
			Status: mangahub.MangaCompleted, Year: ptr(2009), Genres: []string{"Action"}},
		{Slug: "zeta", Title: "Zeta", Author: "Kohei Someone",
			Status: mangahub.MangaOngoing},
		{Slug: "golden-kamuy", Title: "Golden Kamuy", Author: "Satoru Noda",
			Status: mangahub.MangaCompleted, Year: ptr(2014), Genres: []string{"Adventure"}},
		{Slug: "mob-psycho-100", Title: "Mob Psycho 100", Author: "ONE",
			Status: mangahub.MangaCompleted, Year: ptr(2012), Genres: []string{"Action", "Comedy"}},
		{Slug: "dr-stone", Title: "Dr. Stone", Author: "Riichiro Inagaki, Boichi",
			Status: mangahub.MangaCompleted, Year: ptr(2017), Genres: []string{"Adventure"}},
		{Slug: "boruto", Title: "Boruto: Two Blue Vortex", AltTitles: []string{"Boruto: Naruto Next Generations"},
			Author: "Masashi Kishimoto, Mikio Ikemoto", Status: mangahub.MangaOngoing, Year: ptr(2023), Genres: []string{"Action"}},
		{Slug: "naruto", Title: "Naruto", Author: "Masashi Kishimoto",
			Status: mangahub.MangaCompleted, Year: ptr(1999), Genres: []string{"Action", "Adventure"}},
		{Slug: "100-perfect-girl", Title: "100% Perfect Girl", Author: "Wann",
			Status: mangahub.MangaCompleted, Year: ptr(2008), Genres: []string{"Drama"}},
	}
}

var allSorts = []mangahub.MangaSort{
	mangahub.SortTitle, mangahub.SortUpdatedAtDesc, mangahub.SortYear, mangahub.SortYearDesc, mangahub.SortRelevance,
}

// terms are the terms the catalog makes of q.
func terms(q string) []string { return mangahub.SearchTerms(q, 10) }

func testSearch(t *testing.T, open func(*testing.T) Stores) {
	s := open(t)
	ctx := t.Context()
	bySlug := make(map[string]*mangahub.Manga)
	var all []*mangahub.Manga
	for _, m := range catalog() {
		mustCreateManga(t, s, m)
		bySlug[m.Slug] = m
	}
	// Touch one manga so that -updated_at differs from creation order.
	if _, err := s.Manga.UpdateManga(ctx, bySlug["piece-of-one"].ID, mangahub.MangaUpdate{Description: ptr("touched")}); err != nil {
		t.Fatalf("UpdateManga: %v", err)
	}
	for _, m := range catalog() {
		all = append(all, mustFindManga(t, s, bySlug[m.Slug].ID))
	}
	md := model{all: all}
	slugOf := make(map[int64]string)
	for _, m := range all {
		slugOf[m.ID] = m.Slug
	}
	slugs := func(ids []int64) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, slugOf[id])
		}
		return out
	}
	find := func(t *testing.T, f mangahub.MangaFilter) ([]*mangahub.Manga, int) {
		t.Helper()
		page, total, err := s.Manga.FindManga(t.Context(), f)
		if err != nil {
			t.Fatalf("FindManga(%+v): %v", f, err)
		}
		return page, total
	}
	idsOf := func(page []*mangahub.Manga) []int64 {
		ids := []int64{}
		for _, m := range page {
			ids = append(ids, m.ID)
		}
		return ids
	}

	// Hand-written expectations: they pin the rules down, and check the
	// model that the exhaustive comparisons below rely on.
	t.Run("Examples", func(t *testing.T) {
		tests := []struct {
			name string
			f    mangahub.MangaFilter
			want []string
		}{
			{"accent in title", mangahub.MangaFilter{Terms: []string{"pokemon"}},
				[]string{"pokemon-adventures"}},
			{"accent in author", mangahub.MangaFilter{Terms: []string{"kohei"}},
				[]string{"my-hero-academia", "zeta"}},
			{"substring of a word", mangahub.MangaFilter{Terms: []string{"okemo"}},
				[]string{"pokemon-adventures"}},
			{"every word must match", mangahub.MangaFilter{Terms: []string{"one", "piece"}},
				[]string{"fan-book", "one-piece", "one-piece-2", "one-piece-film-red", "piece-of-one", "someones-piece"}},
			{"one word missing", mangahub.MangaFilter{Terms: []string{"piece", "zzz"}},
				[]string{}},
			{"non-latin", mangahub.MangaFilter{Terms: []string{"巨人"}},
				[]string{"shingeki"}},
			// Alternative titles are searched like the title.
			{"alternative title", mangahub.MangaFilter{Terms: terms("Shingeki no Kyojin")},
				[]string{"shingeki"}},
			{"abbreviation", mangahub.MangaFilter{Terms: terms("mha")},
				[]string{"my-hero-academia"}},
			{"alternative title of a manga with another title", mangahub.MangaFilter{Terms: terms("naruto next")},
				[]string{"boruto"}},
			// "%" and "_" are plain characters, not wildcards; a word with
			// punctuation inside is a phrase of its parts.
			{"underscore is no wildcard", mangahub.MangaFilter{Terms: terms("n_ruto")},
				[]string{}},
			{"percent is no wildcard", mangahub.MangaFilter{Terms: terms("one%piece")},
				// The phrase "one piece": not Piece of One, nor Someone's Piece.
				[]string{"fan-book", "one-piece", "one-piece-2", "one-piece-film-red"}},
			{"percent after digits", mangahub.MangaFilter{Terms: terms("100%")},
				[]string{"100-perfect-girl", "mob-psycho-100"}},
			{"phrase across punctuation", mangahub.MangaFilter{Terms: terms("Dr.Stone")},
				[]string{"dr-stone"}},
			// Relevance: a whole name first; then whole words before
			// prefixes before substrings, a name before the author at each;
			// then title and id.
			{"relevance", mangahub.MangaFilter{Terms: terms("one piece"), Sort: mangahub.SortRelevance},
				[]string{"one-piece", "one-piece-2", "one-piece-film-red", "piece-of-one", "fan-book", "someones-piece"}},
			{"relevance: an author's whole word beats a title's substring", mangahub.MangaFilter{Terms: terms("one"), Sort: mangahub.SortRelevance},
				// 0: titles with the word; 1: authors with it (ONE
				// wrote Mob Psycho 100); 4: inside a title's word (Dr.
				// Stone, Someone's Piece); 5: inside an author's word.
				[]string{"one-piece", "one-piece-2", "one-piece-film-red", "piece-of-one", "fan-book", "mob-psycho-100", "dr-stone", "someones-piece", "zeta"}},
			{"relevance: a whole word beats a substring in the same field", mangahub.MangaFilter{Terms: terms("oda"), Sort: mangahub.SortRelevance},
				// Eiichiro Oda before Satoru Noda.
				[]string{"one-piece", "one-piece-film-red", "golden-kamuy"}},
			{"relevance: prefix before substring", mangahub.MangaFilter{Terms: terms("kam"), Sort: mangahub.SortRelevance},
				// Golden Kamuy (2), Barakamon (4), Ken Akamatsu (5).
				[]string{"golden-kamuy", "barakamon", "piece-of-one"}},
			{"relevance: a prefix of an alternative title", mangahub.MangaFilter{Terms: terms("mon"), Sort: mangahub.SortRelevance},
				// Pocket Monsters (2) before Barakamon (4).
				[]string{"pokemon-adventures", "barakamon"}},
			{"relevance: the whole name first", mangahub.MangaFilter{Terms: terms("naruto"), Sort: mangahub.SortRelevance},
				// Both hold the word; Naruto is the name.
				[]string{"naruto", "boruto"}},
			{"relevance of equal ranks is title order", mangahub.MangaFilter{Terms: terms("100"), Sort: mangahub.SortRelevance},
				[]string{"100-perfect-girl", "mob-psycho-100"}},
			{"author", mangahub.MangaFilter{Author: "oda"},
				[]string{"golden-kamuy", "one-piece", "one-piece-film-red"}},
			{"author with accent", mangahub.MangaFilter{Author: "kohei"},
				[]string{"my-hero-academia", "zeta"}},
			{"author is not title", mangahub.MangaFilter{Author: "piece"},
				[]string{"fan-book"}},
			{"genres all", mangahub.MangaFilter{Genres: []string{"action", "ADVENTURE"}},
				[]string{"naruto", "one-piece", "one-piece-film-red"}},
			{"genre and status", mangahub.MangaFilter{Genres: []string{"Comedy"}, Status: mangahub.MangaOngoing},
				[]string{"one-piece", "piece-of-one"}},
			{"unknown genre", mangahub.MangaFilter{Genres: []string{"Horror"}},
				[]string{}},
			{"status", mangahub.MangaFilter{Status: mangahub.MangaHiatus},
				[]string{"someones-piece", "vagabond"}},
			{"title order", mangahub.MangaFilter{Sort: mangahub.SortTitle},
				[]string{"100-perfect-girl", "barakamon", "boruto", "dr-stone", "fan-book", "golden-kamuy", "mob-psycho-100",
					"my-hero-academia", "naruto", "one-piece", "one-piece-2", "one-piece-film-red", "piece-of-one",
					"pokemon-adventures", "someones-piece", "vagabond", "zeta", "shingeki"}},
			{"year ascending, unknown last", mangahub.MangaFilter{Sort: mangahub.SortYear},
				[]string{"pokemon-adventures", "one-piece", "one-piece-2", "vagabond", "naruto", "piece-of-one",
					"100-perfect-girl", "barakamon", "shingeki", "mob-psycho-100", "my-hero-academia", "golden-kamuy",
					"dr-stone", "one-piece-film-red", "boruto", "someones-piece", "fan-book", "zeta"}},
			{"year descending, unknown last", mangahub.MangaFilter{Sort: mangahub.SortYearDesc},
				[]string{"boruto", "one-piece-film-red", "dr-stone", "my-hero-academia", "golden-kamuy", "mob-psycho-100",
					"barakamon", "shingeki", "100-perfect-girl", "piece-of-one", "naruto", "vagabond",
					"pokemon-adventures", "one-piece", "one-piece-2", "someones-piece", "fan-book", "zeta"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.f.Sort == "" {
					tt.f.Sort = mangahub.SortTitle
				}
				tt.f.Limit = 100
				equal(t, "model", slugs(md.find(tt.f)), tt.want)
				page, total := find(t, tt.f)
				equal(t, "FindManga", slugs(idsOf(page)), tt.want)
				if total != len(tt.want) {
					t.Errorf("total = %d, want %d", total, len(tt.want))
				}
			})
		}
	})

	t.Run("MostRecentlyUpdatedFirst", func(t *testing.T) {
		page, _ := find(t, mangahub.MangaFilter{Sort: mangahub.SortUpdatedAtDesc, Limit: 1})
		if len(page) != 1 || page[0].Slug != "piece-of-one" {
			t.Errorf("first by -updated_at = %v, want piece-of-one", slugs(idsOf(page)))
		}
	})

	t.Run("FullRows", func(t *testing.T) {
		// Every row comes back whole, genres included.
		page, _ := find(t, mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 100})
		want := make([]*mangahub.Manga, 0, len(all))
		for _, id := range md.find(mangahub.MangaFilter{Sort: mangahub.SortTitle}) {
			for _, m := range all {
				if m.ID == id {
					want = append(want, m)
				}
			}
		}
		equal(t, "FindManga rows", page, want)
	})

	// Every sort against the model, over a spread of filters, whole and in
	// pages: pages never overlap or skip, and total is always the full count.
	filters := []mangahub.MangaFilter{
		{},
		{Terms: []string{"one", "piece"}},
		{Terms: []string{"one"}},
		{Terms: []string{"o"}},
		{Terms: terms("one pi")},
		{Terms: terms("no ka")},
		{Terms: terms("hero-aca")},
		{Terms: terms("naruto")},
		{Terms: []string{"piece"}, Genres: []string{"comedy"}},
		{Genres: []string{"Action"}},
		{Status: mangahub.MangaCompleted},
		{Author: "e"},
		{Terms: []string{"nothing", "matches"}},
	}
	for i, base := range filters {
		for _, sort := range allSorts {
			f := base
			f.Sort = sort
			t.Run(fmt.Sprintf("Model/filter%d/%s", i, sort), func(t *testing.T) {
				want := md.find(f)
				f.Limit = 100
				page, total := find(t, f)
				equal(t, fmt.Sprintf("whole result of %+v", f), idsOf(page), want)
				if total != len(want) {
					t.Errorf("total = %d, want %d", total, len(want))
				}
				for _, limit := range []int{1, 5} {
					var paged []int64
					for offset := 0; offset < len(want)+limit; offset += limit {
						f.Limit, f.Offset = limit, offset
						page, total := find(t, f)
						if total != len(want) {
							t.Errorf("limit %d offset %d: total %d, want %d", limit, offset, total, len(want))
						}
						if len(page) > limit {
							t.Errorf("limit %d offset %d: %d rows", limit, offset, len(page))
						}
						paged = append(paged, idsOf(page)...)
					}
					if paged == nil {
						paged = []int64{}
					}
					equal(t, fmt.Sprintf("pages of %d", limit), paged, want)
				}
			})
		}
	}

	t.Run("OffsetPastEnd", func(t *testing.T) {
		page, total := find(t, mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 10, Offset: 50})
		if page == nil || len(page) != 0 || total != len(all) {
			t.Errorf("page %v (nil: %t), total %d; want an empty page and total %d", page, page == nil, total, len(all))
		}
	})
}
