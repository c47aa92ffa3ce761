package catalog_test

import (
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
)

func ptr[T any](v T) *T { return &v }

func wantCode(t *testing.T, err error, code mangahub.ErrorCode) {
	t.Helper()
	if got := mangahub.ErrorCodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// wantField checks a validation error about field whose message names it.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, mangahub.CodeValidation)
	e := mangahub.AsError(err)
	if e.Field != field {
		t.Fatalf("field = %q (%v), want %q", e.Field, err, field)
	}
	if !strings.HasPrefix(e.Message, field+":") {
		t.Fatalf("message %q does not name the field %q", e.Message, field)
	}
}

// validManga is a manga that passes validation.
func validManga() *mangahub.Manga {
	return &mangahub.Manga{
		Title:         "Frieren: Beyond Journey's End",
		Author:        "Kanehito Yamada",
		Status:        mangahub.MangaOngoing,
		TotalChapters: ptr(140),
		Year:          ptr(2020),
		Description:   "An elf mage outlives her party.",
		CoverURL:      "https://example.com/frieren.jpg",
		Genres:        []string{"Fantasy", "Adventure"},
	}
}
