package loadtest

import (
	"strings"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

// DefaultQueries is the search mix of the catalog measurements: words and
// word pairs of the vocabulary storetest.GenerateManga draws titles from,
// author names, and accented or unaccented spellings that only match after
// folding. Most match dozens to hundreds of the generated manga; a few match
// none, as real searches sometimes do.
var DefaultQueries = []string{
	"dragon night",
	"shadow",
	"king",
	"moon blade",
	"Oda",
	"crimson summer",
	"pokemon",
	"Café",
	"academy ghost",
	"Kōhei Horikoshi",
	"star",
	"silent wolf",
	"tokyo",
	"legend of the storm",
	"iron angel",
	"zzz nothing",
}

// ParseQueries splits a "|"-separated list; empty means DefaultQueries.
func ParseQueries(s string) []string {
	if strings.TrimSpace(s) == "" {
		return DefaultQueries
	}
	var qs []string
	for _, q := range strings.Split(s, "|") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	return qs
}

// queryFor picks the query of one request, the same for the HTTP and the
// store driver: client c's seq-th request.
func queryFor(queries []string, c, seq int) string {
	return queries[(c+seq)%len(queries)]
}

// SearchFilter is the filter the catalog service hands a store for
// GET /api/manga?q=… with no other parameter: folded terms, relevance order,
// the default page.
func SearchFilter(q string) mangahub.MangaFilter {
	f := mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: catalog.DefaultLimit}
	if terms := mangahub.SearchTerms(q, catalog.MaxQueryTerms); len(terms) > 0 {
		f.Terms = terms
		f.Sort = mangahub.SortRelevance
	}
	return f
}
