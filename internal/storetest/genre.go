package storetest

import (
	"testing"

	"github.com/mangahub/mangahub"
)

func testGenres(t *testing.T, open func(*testing.T) Stores) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		genres, err := s.Manga.FindGenres(t.Context())
		if err != nil {
			t.Fatalf("FindGenres: %v", err)
		}
		equal(t, "FindGenres on an empty catalog", genres, []*mangahub.Genre{})
	})

	t.Run("CountsAndOrder", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		drama, err := s.Manga.CreateGenre(ctx, "Drama")
		if err != nil {
			t.Fatalf("CreateGenre: %v", err)
		}
		if drama.ID <= 0 || drama.Name != "Drama" || drama.MangaCount != 0 {
			t.Errorf("CreateGenre = %+v", drama)
		}
		a := mangaN(1)
		a.Genres = []string{"action", "Comedy"}
		mustCreateManga(t, s, a)
		b := mangaN(2)
		b.Genres = []string{"Action"}
		mustCreateManga(t, s, b)

		genres, err := s.Manga.FindGenres(ctx)
		if err != nil {
			t.Fatalf("FindGenres: %v", err)
		}
		// Ordered by name without regard to case ("action" before
		// "Comedy"); the first spelling is kept.
		var got []mangahub.Genre
		for _, g := range genres {
			got = append(got, mangahub.Genre{Name: g.Name, MangaCount: g.MangaCount})
		}
		equal(t, "FindGenres", got, []mangahub.Genre{
			{Name: "action", MangaCount: 2},
			{Name: "Comedy", MangaCount: 1},
			{Name: "Drama", MangaCount: 0},
		})
		for _, g := range genres {
			byID, err := s.Manga.FindGenreByID(ctx, g.ID)
			if err != nil {
				t.Errorf("FindGenreByID(%d): %v", g.ID, err)
				continue
			}
			equal(t, "FindGenreByID", byID, g)
		}
	})

	t.Run("CreateConflict", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		if _, err := s.Manga.CreateGenre(ctx, "Sci-Fi"); err != nil {
			t.Fatalf("CreateGenre: %v", err)
		}
		for _, name := range []string{"Sci-Fi", "sci-fi", "SCI-FI"} {
			_, err := s.Manga.CreateGenre(ctx, name)
			wantCode(t, "CreateGenre("+name+")", err, mangahub.CodeConflict)
		}
		// A manga naming it in another case gets the existing genre.
		m := mangaN(1)
		m.Genres = []string{"sci-FI"}
		mustCreateManga(t, s, m)
		equal(t, "genres", m.Genres, []string{"Sci-Fi"})
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		g, err := s.Manga.CreateGenre(t.Context(), "Drama")
		if err != nil {
			t.Fatalf("CreateGenre: %v", err)
		}
		_, err = s.Manga.FindGenreByID(t.Context(), g.ID+1000)
		wantCode(t, "FindGenreByID(unknown)", err, mangahub.CodeNotFound)
	})
}
