package catalog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

func TestImportValidatesEverythingBeforeWriting(t *testing.T) {
	ms := []*mangahub.Manga{validManga(), validManga(), validManga()}
	ms[1].Title, ms[1].Slug = "Second", "second"
	ms[2].Title, ms[2].Slug = "Third", "third"
	ms[2].Year = ptr(1800) // the last entry is bad

	st := newMangaStore()
	n, err := catalog.New(st).Import(context.Background(), ms)
	wantField(t, err, "[2].year")
	if n != 0 || st.writes() != 0 {
		t.Fatalf("wrote %d (store saw %d writes) before finding the bad entry", n, st.writes())
	}
}

func TestImportRejectsDuplicateSlugs(t *testing.T) {
	ms := []*mangahub.Manga{validManga(), validManga()}
	ms[1].Author = "Someone Else" // same title, so the same derived slug
	st := newMangaStore()
	_, err := catalog.New(st).Import(context.Background(), ms)
	wantField(t, err, "[1].slug")
	if !strings.Contains(err.Error(), "entry 0") || st.writes() != 0 {
		t.Fatalf("err = %v, writes = %d", err, st.writes())
	}
}

func TestImportUpsertsBySlug(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	first := validManga()
	if n, err := svc.Import(ctx, []*mangahub.Manga{first}); err != nil || n != 1 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	again := validManga()
	again.ID = 777 // ignored: slugs identify imported entries
	again.Description = "Revised."
	other := validManga()
	other.Title = "Dungeon Meshi"
	n, err := svc.Import(ctx, []*mangahub.Manga{again, other})
	if err != nil || n != 2 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if st.count() != 2 || again.ID != first.ID || other.Slug != "dungeon-meshi" {
		t.Fatalf("count = %d, again.ID = %d (want %d), other.Slug = %q", st.count(), again.ID, first.ID, other.Slug)
	}
	if n, err := svc.Import(ctx, nil); err != nil || n != 0 {
		t.Fatalf("Import(nil) = %d, %v", n, err)
	}
}

func TestSeedIfEmpty(t *testing.T) {
	sample, err := catalog.Sample()
	if err != nil {
		t.Fatal(err)
	}
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	n, err := svc.SeedIfEmpty(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(sample) || st.count() != len(sample) {
		t.Fatalf("seeded %d, store holds %d; sample has %d", n, st.count(), len(sample))
	}
	writes := st.writes()
	n, err = svc.SeedIfEmpty(ctx)
	if err != nil || n != 0 || st.writes() != writes {
		t.Fatalf("second seed = %d, %v; writes %d → %d", n, err, writes, st.writes())
	}
}
