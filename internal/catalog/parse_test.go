package catalog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

func TestParseCatalog(t *testing.T) {
	in := `[
  {"slug": "berserk", "title": "Berserk", "alt_titles": ["Beruseruku", "ベルセルク"], "author": "Kentaro Miura", "status": "hiatus",
   "total_chapters": null, "year": 1989, "description": "", "cover_url": "", "genres": ["Dark Fantasy"]},
  {"title": "Vagabond", "author": "Takehiko Inoue", "total_chapters": 327}
]`
	ms, ignored, err := catalog.ParseCatalog(strings.NewReader(in))
	if err != nil || ignored != nil {
		t.Fatal(ignored, err)
	}
	if len(ms) != 2 {
		t.Fatalf("parsed %d entries, want 2", len(ms))
	}
	b, v := ms[0], ms[1]
	if b.Slug != "berserk" || b.Status != mangahub.MangaHiatus || b.TotalChapters != nil || *b.Year != 1989 ||
		len(b.Genres) != 1 || b.Genres[0] != "Dark Fantasy" || !slices.Equal(b.AltTitles, []string{"Beruseruku", "ベルセルク"}) {
		t.Fatalf("entry 0 = %+v", b)
	}
	if v.Title != "Vagabond" || *v.TotalChapters != 327 || v.Year != nil {
		t.Fatalf("entry 1 = %+v", v)
	}

	if ms, _, err := catalog.ParseCatalog(strings.NewReader(" [ ] \n")); err != nil || ms == nil || len(ms) != 0 {
		t.Fatalf("empty array = %#v, %v", ms, err)
	}
}

// TestParseCatalogIgnoresUnknownFields: as the API does, fields a manga
// does not have are ignored; each is reported, so a typo is seen.
func TestParseCatalogIgnoresUnknownFields(t *testing.T) {
	in := `[
  {"title": "Berserk", "author": "Kentaro Miura", "chapters": 364, "titel": "x"},
  {"title": "Vagabond", "author": "Takehiko Inoue", "id": 7, "created_at": "2024-01-01T00:00:00Z"}
]`
	ms, ignored, err := catalog.ParseCatalog(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Title != "Berserk" || ms[1].Title != "Vagabond" {
		t.Fatalf("parsed %+v", ms)
	}
	// The API's own server-set fields (id, created_at) are known: an
	// exported catalog imports without noise.
	if want := []string{`entry 0: "chapters", "titel"`}; strings.Join(ignored, "|") != strings.Join(want, "|") {
		t.Errorf("ignored = %q, want %q", ignored, want)
	}
}

func TestParseCatalogErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the message
	}{
		{"empty input", "", []string{"line 1, column 1", "empty"}},
		{"an object, not an array", `{"title": "x"}`, []string{"line 1, column 1", "JSON array"}},
		{"syntax error", "[\n  {\"title\": \"a\"},\n  {\"title\": \"b\",}\n]", []string{"line 3, column 17", "invalid JSON"}},
		{"missing comma", "[\n {\"title\": \"a\"}\n {\"title\": \"b\"}\n]", []string{"line 3", "invalid JSON"}},
		{"wrong type", "[\n  {\"title\": \"a\"},\n  {\"title\": \"b\", \"year\": \"1999\"}\n]", []string{"line 3, column 3", "entry 1", `"year"`, "integer", "string"}},
		{"bad timestamp", `[{"title": "a", "created_at": "yesterday"}]`, []string{"line 1, column 2", "entry 0"}},
		{"null entry", "[\n  {\"title\": \"a\"},\n  null\n]", []string{"line 3, column 3", "entry 1 is null"}},
		{"not closed", `[{"title": "a"}`, []string{"end of input"}},
		{"cut inside an entry", `[{"title": "a`, []string{"end of input"}},
		{"data after the array", "[]\n[]", []string{"line 2, column 1", "after top-level value"}},
		{"a string", `"manga"`, []string{"JSON array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, _, err := catalog.ParseCatalog(strings.NewReader(tt.in))
			if ms != nil {
				t.Fatalf("entries returned with an error: %v", ms)
			}
			wantCode(t, err, mangahub.CodeInvalidJSON)
			msg := mangahub.ErrorMessageOf(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Fatalf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

// endless yields '[' then spaces forever: a well-formed start that never ends.
type endless struct{ started bool }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	if !e.started && len(p) > 0 {
		p[0] = '['
		e.started = true
	}
	return len(p), nil
}

func TestParseCatalogIsBounded(t *testing.T) {
	_, _, err := catalog.ParseCatalog(&endless{})
	wantCode(t, err, mangahub.CodeMessageTooLarge)

	const limit = 1024
	atLimit := "[]" + strings.Repeat(" ", limit-2)
	if _, err := catalog.ParseCatalogLimit(strings.NewReader(atLimit), limit); err != nil {
		t.Fatalf("a catalog of exactly the limit: %v", err)
	}
	_, err = catalog.ParseCatalogLimit(strings.NewReader(atLimit+" "), limit)
	wantCode(t, err, mangahub.CodeMessageTooLarge)
}
