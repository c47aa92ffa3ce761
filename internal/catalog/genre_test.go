package catalog_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

func TestCreateGenre(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	g, err := svc.CreateGenre(ctx, "  Slice of Life ")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Slice of Life" || g.ID == 0 {
		t.Fatalf("genre = %+v", g)
	}
	_, err = svc.CreateGenre(ctx, "slice of life")
	wantCode(t, err, mangahub.CodeConflict)
	if _, err := svc.CreateGenre(ctx, strings.Repeat("g", 64)); err != nil {
		t.Fatalf("64 characters: %v", err)
	}
	for _, name := range []string{"", "   ", strings.Repeat("g", 65), "tab\there"} {
		_, err := svc.CreateGenre(ctx, name)
		wantField(t, err, "name")
	}
	gs, err := svc.Genres(ctx)
	if err != nil || len(gs) != 2 {
		t.Fatalf("Genres = %v, %v", gs, err)
	}
}

func TestGenresNeverNil(t *testing.T) {
	gs, err := catalog.New(newMangaStore()).Genres(context.Background())
	if err != nil || gs == nil {
		t.Fatalf("Genres = %#v, %v; want an empty, non-nil list", gs, err)
	}
}

func TestGenreManga(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	g, err := svc.CreateGenre(ctx, "Horror")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.GenreManga(ctx, g.ID, 0, 5); err != nil {
		t.Fatal(err)
	}
	f, _ := st.lastFilter()
	want := mangahub.MangaFilter{Genres: []string{"Horror"}, Sort: mangahub.SortTitle, Limit: 20, Offset: 5}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("filter = %+v, want %+v", f, want)
	}

	for _, id := range []int64{0, -1, g.ID + 1} {
		_, _, err := svc.GenreManga(ctx, id, 10, 0)
		wantCode(t, err, mangahub.CodeNotFound)
	}
	_, _, err = svc.GenreManga(ctx, g.ID, 101, 0)
	wantField(t, err, "limit")
	_, _, err = svc.GenreManga(ctx, g.ID, 10, -1)
	wantField(t, err, "offset")
}
