package storetest

import (
	"slices"
	"strings"

	"github.com/mangahub/mangahub"
)

// model is the catalog search of package mangahub written plainly in Go: the
// specification that every engine's SQL must reproduce, row for row.
type model struct{ all []*mangahub.Manga }

// find returns the IDs of the whole ordered result of f, ignoring Limit and
// Offset.
func (md model) find(f mangahub.MangaFilter) []int64 {
	var terms []string
	for _, t := range f.Terms {
		if t = mangahub.FoldSearch(t); t != "" {
			terms = append(terms, t)
		}
	}
	var hits []*mangahub.Manga
	for _, m := range md.all {
		if md.matches(m, f, terms) {
			hits = append(hits, m)
		}
	}
	slices.SortFunc(hits, func(a, b *mangahub.Manga) int {
		if c := md.compare(a, b, f.Sort, terms); c != 0 {
			return c
		}
		return cmpInt(a.ID, b.ID)
	})
	ids := make([]int64, len(hits))
	for i, m := range hits {
		ids[i] = m.ID
	}
	return ids
}

func (model) matches(m *mangahub.Manga, f mangahub.MangaFilter, terms []string) bool {
	search := mangahub.FoldSearch(m.Title + " " + m.Author)
	for _, t := range terms {
		if !strings.Contains(search, t) {
			return false
		}
	}
	if !strings.Contains(mangahub.FoldSearch(m.Author), mangahub.FoldSearch(f.Author)) {
		return false
	}
	if f.Status != "" && m.Status != f.Status {
		return false
	}
	for _, g := range f.Genres {
		if !slices.ContainsFunc(m.Genres, func(have string) bool { return strings.EqualFold(have, g) }) {
			return false
		}
	}
	return true
}

func (md model) compare(a, b *mangahub.Manga, sort mangahub.MangaSort, terms []string) int {
	titleA, titleB := mangahub.FoldSearch(a.Title), mangahub.FoldSearch(b.Title)
	switch sort {
	case mangahub.SortUpdatedAtDesc:
		return b.UpdatedAt.Compare(a.UpdatedAt)
	case mangahub.SortYear:
		return cmpYear(a.Year, b.Year, false)
	case mangahub.SortYearDesc:
		return cmpYear(a.Year, b.Year, true)
	case mangahub.SortRelevance:
		if c := cmpInt(rank(titleA, terms), rank(titleB, terms)); c != 0 {
			return c
		}
	}
	return strings.Compare(titleA, titleB) // byte order, as SQLite's BINARY and PostgreSQL's "C"
}

// rank is the relevance of a title: 0 the title is the query, 1 it starts
// with it, 2 it holds every term, 3 the match was in the author alone.
// Without terms every title ranks the same.
func rank(titleKey string, terms []string) int {
	if len(terms) == 0 {
		return 0
	}
	q := strings.Join(terms, " ")
	switch {
	case titleKey == q:
		return 0
	case strings.HasPrefix(titleKey, q):
		return 1
	}
	for _, t := range terms {
		if !strings.Contains(titleKey, t) {
			return 3
		}
	}
	return 2
}

// cmpYear orders known years ascending or descending, unknown ones last.
func cmpYear(a, b *int, desc bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case desc:
		return cmpInt(*b, *a)
	}
	return cmpInt(*a, *b)
}

func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
