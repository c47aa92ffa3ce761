package sqlite_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/mangahub/mangahub/internal/sqlite"
)

// StringArray decodes the common forms by hand and the rest with
// encoding/json; either way the result is what encoding/json gives.
func TestStringArray(t *testing.T) {
	for _, js := range []string{
		`[]`, `["Action"]`, `["Action","Slice of Life","Sci-Fi"]`, `["ワンピース","One Piece"]`,
		`["",""]`, `["a,b","c"]`, `["say \"hi\""]`, `["\u003cb\u003e","x\\y"]`, `[ "spaced" ]`,
	} {
		var want []string
		if err := json.Unmarshal([]byte(js), &want); err != nil {
			t.Fatalf("bad case %s: %v", js, err)
		}
		got, err := sqlite.StringArray(js)
		if err != nil || !slices.Equal(got, want) || got == nil {
			t.Errorf("StringArray(%s) = %q, %v; want %q", js, got, err, want)
		}
	}
	for _, js := range []string{``, `[`, `["a"`, `["a",]`, `["a""b"]`, `["a"]x`, `{"a":1}`, `[1]`, `["a",1]`} {
		if got, err := sqlite.StringArray(js); err == nil {
			t.Errorf("StringArray(%s) = %q, want an error", js, got)
		}
	}
}
