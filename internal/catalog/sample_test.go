package catalog_test

import (
	"context"
	"testing"

	"github.com/mangahub/mangahub/internal/catalog"
)

// TestSample guards the embedded sample: it must parse, and every entry must
// pass the same validation as an import, with a slug of its own.
func TestSample(t *testing.T) {
	sample, err := catalog.Sample()
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if len(sample) == 0 {
		t.Fatal("the sample catalog is empty")
	}
	slugs := map[string]bool{}
	for i, m := range sample {
		if m.Slug == "" {
			t.Errorf("entry %d (%q) has no slug", i, m.Title)
		}
		if slugs[m.Slug] {
			t.Errorf("entry %d: slug %q appears twice", i, m.Slug)
		}
		slugs[m.Slug] = true
	}
	n, err := catalog.New(newMangaStore()).Import(context.Background(), sample)
	if err != nil {
		t.Fatalf("the sample does not validate: %v", err)
	}
	if n != len(sample) {
		t.Fatalf("imported %d of %d", n, len(sample))
	}

	// Each call parses afresh: callers may modify what they get.
	again, err := catalog.Sample()
	if err != nil {
		t.Fatal(err)
	}
	again[0].Title = "changed"
	third, _ := catalog.Sample()
	if third[0].Title == "changed" {
		t.Fatal("Sample returns shared entries")
	}
}
