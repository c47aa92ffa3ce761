package catalog_test

import (
	"context"
	"reflect"
	"slices"
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
	again.AltTitles = []string{"Sousou no Frieren"}
	other := validManga()
	other.Title = "Dungeon Meshi"
	n, err := svc.Import(ctx, []*mangahub.Manga{again, other})
	if err != nil || n != 2 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if st.count() != 2 || again.ID != first.ID || other.Slug != "dungeon-meshi" {
		t.Fatalf("count = %d, again.ID = %d (want %d), other.Slug = %q", st.count(), again.ID, first.ID, other.Slug)
	}
	if got, err := svc.FindMangaByID(ctx, first.ID); err != nil || got.Description != "Revised." ||
		!slices.Equal(got.AltTitles, []string{"Sousou no Frieren"}) {
		t.Fatalf("after the second import: %+v, %v; want the revised description and alt titles", got, err)
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

// TestImportReportsEveryProblem: all entries' problems in one answer.
func TestImportReportsEveryProblem(t *testing.T) {
	ms := []*mangahub.Manga{validManga(), validManga(), validManga()}
	ms[0].Year = ptr(1800)
	ms[1].Title, ms[1].Author = "", ""
	ms[2].Title = "Third"
	ms[2].Status = "paused"
	_, err := catalog.New(newMangaStore()).ImportCatalog(context.Background(), ms)
	e := mangahub.AsError(err)
	var got []string
	for _, p := range e.Fields {
		got = append(got, p.Field)
	}
	if want := "[0].year [1].title [1].author [2].status"; strings.Join(got, " ") != want {
		t.Errorf("problems of %v, want %s", got, want)
	}
}

// TestImportTellsWhatItDid: created, updated and left alone, and which
// manga now end before where some readers are.
func TestImportTellsWhatItDid(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	a, b := validManga(), validManga()
	b.Title = "Dungeon Meshi"
	if res, err := svc.ImportCatalog(ctx, []*mangahub.Manga{a, b}); err != nil || res.Created != 2 || res.Updated+res.Unchanged != 0 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	writes := st.writes()
	a, b, c := validManga(), validManga(), validManga()
	b.Title, b.TotalChapters = "Dungeon Meshi", ptr(97)
	c.Title = "Delicious in Dungeon"
	st.beyond = map[string]int{"dungeon-meshi": 2}
	res, err := svc.ImportCatalog(ctx, []*mangahub.Manga{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.ImportResult{Created: 1, Updated: 1, Unchanged: 1,
		Shortened: []catalog.Shortened{{Slug: "dungeon-meshi", TotalChapters: 97, Readers: 2}}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("second import = %+v, want %+v", res, want)
	}
	if st.writes() != writes+3 { // three puts reached the store; it wrote two
		t.Errorf("store saw %d puts, want 3", st.writes()-writes)
	}
}
