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
// Offset. f is as the catalog hands it over: terms folded, none empty.
func (md model) find(f mangahub.MangaFilter) []int64 {
	var hits []*mangahub.Manga
	for _, m := range md.all {
		if md.matches(m, f) {
			hits = append(hits, m)
		}
	}
	slices.SortFunc(hits, func(a, b *mangahub.Manga) int {
		if c := md.compare(a, b, f.Sort, f.Terms); c != 0 {
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

func (model) matches(m *mangahub.Manga, f mangahub.MangaFilter) bool {
	for _, t := range f.Terms {
		if !slices.ContainsFunc(names(m), func(n string) bool { return strings.Contains(n, t) }) &&
			!strings.Contains(mangahub.FoldSearch(m.Author), t) {
			return false
		}
	}
	if !strings.Contains(mangahub.FoldSearch(m.Author), f.Author) {
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
		if len(terms) == 0 {
			break
		}
		q := strings.Join(terms, " ")
		exactA, exactB := slices.Contains(names(a), q), slices.Contains(names(b), q)
		if exactA != exactB {
			if exactA {
				return -1
			}
			return 1
		}
		if c := cmpInt(rank(a, terms), rank(b, terms)); c != 0 {
			return c
		}
	}
	return strings.Compare(titleA, titleB) // byte order, as SQLite's BINARY and PostgreSQL's "C"
}

// names are the folded title and alternative titles of m.
func names(m *mangahub.Manga) []string {
	out := []string{mangahub.FoldSearch(m.Title)}
	for _, alt := range m.AltTitles {
		if f := mangahub.FoldSearch(alt); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// rank is the relevance of m (mangahub.SortRelevance): the sum over the
// terms of the best match of each, 0 a whole word of a name, 1 a whole word
// of the author, 2 the start of a word of a name, 3 of the author, 4 inside
// a word of a name, 5 inside the author.
func rank(m *mangahub.Manga, terms []string) int {
	author := mangahub.FoldSearch(m.Author)
	sum := 0
	for _, t := range terms {
		best := 5
		for i, field := range [][]string{names(m), {author}} {
			for _, text := range field {
				words := strings.Fields(text)
				switch {
				case containsWords(words, strings.Fields(t), false):
					best = min(best, 0+i)
				case containsWords(words, strings.Fields(t), true):
					best = min(best, 2+i)
				case strings.Contains(text, t):
					best = min(best, 4+i)
				}
			}
		}
		sum += best
	}
	return sum
}

// containsWords reports whether the words of a term occur in words one
// after the other, each whole, except that with prefix the last one need
// only start a word.
func containsWords(words, term []string, prefix bool) bool {
	for i := 0; i+len(term) <= len(words); i++ {
		ok := true
		for j, w := range term {
			last := j == len(term)-1
			if words[i+j] != w && !(prefix && last && strings.HasPrefix(words[i+j], w)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
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
