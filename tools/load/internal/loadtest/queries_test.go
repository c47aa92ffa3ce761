package loadtest

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQueries(t *testing.T) {
	if got := ParseQueries(" "); !reflect.DeepEqual(got, SearchWords) {
		t.Errorf("empty list = %v, want the defaults", got)
	}
	if got, want := ParseQueries("a b| c ||d"), []string{"a b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseQueries = %q, want %q", got, want)
	}
}

// Every search word but the one meant to match nothing must be in the
// generated vocabulary, or the 20,000-manga search would measure empty
// pages.
func TestSearchWordsMatchGeneratedCatalog(t *testing.T) {
	manga := GenerateManga(2000, 1)
	for _, w := range SearchWords {
		if w == "zzznothing" {
			continue
		}
		n := 0
		for _, m := range manga {
			text := strings.ToLower(m.Title + " " + strings.Join(m.AltTitles, " ") + " " + m.Author)
			if strings.Contains(text, strings.ToLower(strings.ReplaceAll(w, "ō", "o"))) || strings.Contains(text, strings.ToLower(w)) {
				n++
			}
		}
		if n < 20 {
			t.Errorf("%q matches %d of 2000 generated manga, want a full page at least", w, n)
		}
	}
}
