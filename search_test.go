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

func TestSearchTerms(t *testing.T) {
	got := mangahub.SearchTerms("One  PIECE, oda! x y", 4)
	want := []string{"one", "piece", "oda", "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SearchTerms = %q, want %q", got, want)
	}
}
