package loadtest

import "strings"

// SearchWords is the search mix of the HTTP measurements (GET
// /api/manga?q=word): single words that occur in the sample catalog's titles
// and authors and in the generated catalog's vocabulary, in upper and lower
// case, one with an accent the catalog does not have and one that matches
// nothing, as real searches sometimes do.
var SearchWords = []string{
	"dragon", "blue", "Black", "hero", "tokyo", "magic", "witch", "fire",
	"samurai", "takahashi", "Kōhei", "night", "king", "ghost", "akira", "zzznothing",
}

// ParseQueries splits a "|"-separated list; empty means SearchWords.
func ParseQueries(s string) []string {
	if strings.TrimSpace(s) == "" {
		return SearchWords
	}
	var qs []string
	for _, q := range strings.Split(s, "|") {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	return qs
}
