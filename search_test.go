package mangahub_test

import (
	"reflect"
	"testing"

	"github.com/mangahub/mangahub"
)

func TestFoldSearch(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Pokémon Adventures", "pokemon adventures"},
		{"Kōhei Horikoshi", "kohei horikoshi"},
		{"Pokémon", "pokemon"}, // decomposed e + combining acute
		{"  Haikyu!! ", "haikyu"},
		{"Kaiju No. 8", "kaiju no 8"},
		{"50%_off'; DROP TABLE", "50 off drop table"},
		{"ÆON Straße", "aon strase"},
		{"進撃の巨人", "進撃の巨人"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := mangahub.FoldSearch(tt.in); got != tt.want {
			t.Errorf("FoldSearch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchTermsAtMost(t *testing.T) {
	got := mangahub.SearchTerms("One  PIECE, oda! x y", 4)
	want := []string{"one", "piece", "oda", "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SearchTerms = %q, want %q", got, want)
	}
}

func TestSearchTermsArePhrasesOfWords(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"n_ruto", []string{"n ruto"}},
		{"%", nil},
		{"_ %%", nil},
		{"Dr.Stone  ONE-punch", []string{"dr stone", "one punch"}},
		{"haikyu !!", []string{"haikyu"}},
		{"50%", []string{"50"}},
	}
	for _, tt := range tests {
		if got := mangahub.SearchTerms(tt.q, 10); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SearchTerms(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
	for q, want := range map[string]bool{"%": true, " _ ": true, "": false, "   ": false, "n_ruto": false} {
		if got := mangahub.MatchesNothing(q); got != want {
			t.Errorf("MatchesNothing(%q) = %t, want %t", q, got, want)
		}
	}
}

func TestMangaSearchKeys(t *testing.T) {
	got := mangahub.MangaSearchKeys("Attack on Titan", []string{"Shingeki no Kyojin", "!!", "進撃の巨人"}, "Hajime Isayama")
	want := mangahub.SearchKeys{
		Names:  "| attack on titan | shingeki no kyojin | 進撃の巨人 |",
		Text:   "| attack on titan | shingeki no kyojin | 進撃の巨人 | hajime isayama |",
		Title:  "attack on titan",
		Author: "hajime isayama",
	}
	if got != want {
		t.Errorf("MangaSearchKeys =\n %+v, want\n %+v", got, want)
	}
	// Migration 0005 computes the keys of a manga without alternative
	// titles in SQL: "| " || title_key || " |" and
	// "| " || title_key || " | " || author_key || " |".
	k := mangahub.MangaSearchKeys("Naruto", nil, "Masashi Kishimoto")
	if k.Names != "| "+k.Title+" |" || k.Text != "| "+k.Title+" | "+k.Author+" |" {
		t.Errorf("keys without alternative titles = %+v, not what migration 0005 computes", k)
	}
}
