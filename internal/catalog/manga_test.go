package catalog_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

func TestCreateMangaValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(*mangahub.Manga)
		field  string // "" = accepted
	}{
		{"valid", func(*mangahub.Manga) {}, ""},
		{"title of 300 characters", func(m *mangahub.Manga) { m.Title = strings.Repeat("語", 300) }, ""},
		{"title blank", func(m *mangahub.Manga) { m.Title = "   " }, "title"},
		{"title of 301 characters", func(m *mangahub.Manga) { m.Title = strings.Repeat("語", 301) }, "title"},
		{"title with a newline", func(m *mangahub.Manga) { m.Title = "One\nPiece" }, "title"},
		{"title not UTF-8", func(m *mangahub.Manga) { m.Title = "bad \xff" }, "title"},
		{"author missing", func(m *mangahub.Manga) { m.Author = "" }, "author"},
		{"author of 201 characters", func(m *mangahub.Manga) { m.Author = strings.Repeat("a", 201) }, "author"},
		{"author of 200 characters", func(m *mangahub.Manga) { m.Author = strings.Repeat("a", 200) }, ""},
		{"slug given", func(m *mangahub.Manga) { m.Slug = "frieren-2" }, ""},
		{"slug of 120 characters", func(m *mangahub.Manga) { m.Slug = strings.Repeat("s", 120) }, ""},
		{"slug of 121 characters", func(m *mangahub.Manga) { m.Slug = strings.Repeat("s", 121) }, "slug"},
		{"slug upper case", func(m *mangahub.Manga) { m.Slug = "Frieren" }, "slug"},
		{"slug double hyphen", func(m *mangahub.Manga) { m.Slug = "a--b" }, "slug"},
		{"slug leading hyphen", func(m *mangahub.Manga) { m.Slug = "-a" }, "slug"},
		{"slug trailing hyphen", func(m *mangahub.Manga) { m.Slug = "a-" }, "slug"},
		{"slug underscore", func(m *mangahub.Manga) { m.Slug = "a_b" }, "slug"},
		{"slug non-ASCII", func(m *mangahub.Manga) { m.Slug = "pokémon" }, "slug"},
		{"status unknown", func(m *mangahub.Manga) { m.Status = "finished" }, "status"},
		{"total_chapters null", func(m *mangahub.Manga) { m.TotalChapters = nil }, ""},
		{"total_chapters 0", func(m *mangahub.Manga) { m.TotalChapters = ptr(0) }, ""},
		{"total_chapters 100000", func(m *mangahub.Manga) { m.TotalChapters = ptr(100_000) }, ""},
		{"total_chapters negative", func(m *mangahub.Manga) { m.TotalChapters = ptr(-1) }, "total_chapters"},
		{"total_chapters too many", func(m *mangahub.Manga) { m.TotalChapters = ptr(100_001) }, "total_chapters"},
		{"year null", func(m *mangahub.Manga) { m.Year = nil }, ""},
		{"year 1900", func(m *mangahub.Manga) { m.Year = ptr(1900) }, ""},
		{"year 2100", func(m *mangahub.Manga) { m.Year = ptr(2100) }, ""},
		{"year 1899", func(m *mangahub.Manga) { m.Year = ptr(1899) }, "year"},
		{"year 2101", func(m *mangahub.Manga) { m.Year = ptr(2101) }, "year"},
		{"description with line breaks", func(m *mangahub.Manga) { m.Description = "one\n\ttwo\r\n" }, ""},
		{"description of 5000 characters", func(m *mangahub.Manga) { m.Description = strings.Repeat("é", 5000) }, ""},
		{"description of 5001 characters", func(m *mangahub.Manga) { m.Description = strings.Repeat("é", 5001) }, "description"},
		{"description with NUL", func(m *mangahub.Manga) { m.Description = "a\x00b" }, "description"},
		{"cover_url empty", func(m *mangahub.Manga) { m.CoverURL = "" }, ""},
		{"cover_url http", func(m *mangahub.Manga) { m.CoverURL = "http://img.example.com/a.png?x=1" }, ""},
		{"empty alternative title", func(m *mangahub.Manga) { m.AltTitles = []string{"Fine", " "} }, "alt_titles[1]"},
		{"alternative title with a newline", func(m *mangahub.Manga) { m.AltTitles = []string{"a\nb"} }, "alt_titles[0]"},
		{"alternative title too long", func(m *mangahub.Manga) { m.AltTitles = []string{strings.Repeat("x", 301)} }, "alt_titles[0]"},
		{"too many alternative titles", func(m *mangahub.Manga) { m.AltTitles = make([]string, 21) }, "alt_titles"},
		{"cover_url javascript", func(m *mangahub.Manga) { m.CoverURL = "javascript:alert(1)" }, "cover_url"},
		{"cover_url data", func(m *mangahub.Manga) { m.CoverURL = "data:image/png;base64,AAAA" }, "cover_url"},
		{"cover_url relative", func(m *mangahub.Manga) { m.CoverURL = "/covers/a.png" }, "cover_url"},
		{"cover_url without host", func(m *mangahub.Manga) { m.CoverURL = "https:///a.png" }, "cover_url"},
		{"cover_url with a space", func(m *mangahub.Manga) { m.CoverURL = "https://example.com/a b.png" }, "cover_url"},
		{"cover_url too long", func(m *mangahub.Manga) { m.CoverURL = "https://example.com/" + strings.Repeat("a", 2000) }, "cover_url"},
		{"20 genres", func(m *mangahub.Manga) { m.Genres = numbered("g", 20) }, ""},
		{"21 genres", func(m *mangahub.Manga) { m.Genres = numbered("g", 21) }, "genres"},
		{"blank genre", func(m *mangahub.Manga) { m.Genres = []string{"Action", " "} }, "genres"},
		{"genre of 65 characters", func(m *mangahub.Manga) { m.Genres = []string{strings.Repeat("g", 65)} }, "genres"},
		{"genre of 64 characters", func(m *mangahub.Manga) { m.Genres = []string{strings.Repeat("g", 64)} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMangaStore()
			m := validManga()
			tt.change(m)
			err := catalog.New(st).CreateManga(context.Background(), m)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CreateManga: %v", err)
				}
				if m.ID == 0 {
					t.Fatal("ID not set")
				}
				return
			}
			wantField(t, err, tt.field)
			if st.writes() != 0 {
				t.Fatal("an invalid manga reached the store")
			}
		})
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strings.Repeat("x", i)
	}
	return out
}

func TestCreateMangaDefaults(t *testing.T) {
	st := newMangaStore()
	m := &mangahub.Manga{
		ID:          99,
		Title:       "  Pokémon Adventures ",
		AltTitles:   []string{" Pocket Monsters SPECIAL", "Pocket Monsters SPECIAL", "ポケットモンスターSPECIAL"},
		Author:      " Hidenori Kusaka\t",
		Description: "\n A story. \n",
		CoverURL:    " https://example.com/p.png ",
		Genres:      []string{" Adventure", "adventure", "ADVENTURE ", "Fantasy"},
		CreatedAt:   time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if err := catalog.New(st).CreateManga(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := mangahub.Manga{
		ID:          1, // from the store, not the caller
		Slug:        "pokemon-adventures",
		Title:       "Pokémon Adventures",
		AltTitles:   []string{"Pocket Monsters SPECIAL", "ポケットモンスターSPECIAL"},
		Author:      "Hidenori Kusaka",
		Status:      mangahub.MangaOngoing,
		Description: "A story.",
		CoverURL:    "https://example.com/p.png",
		Genres:      []string{"Adventure", "Fantasy"},
		CreatedAt:   t0,
		UpdatedAt:   t0,
	}
	if !reflect.DeepEqual(*m, want) {
		t.Fatalf("created\n %+v\nwant\n %+v", *m, want)
	}
}

func TestCreateMangaDerivesSlug(t *testing.T) {
	long := strings.Repeat("word ", 40) // 200 characters of words
	tests := []struct{ title, want string }{
		{"One Piece", "one-piece"},
		{"Kaiju No. 8", "kaiju-no-8"},
		{"JoJo's Bizarre Adventure", "jojo-s-bizarre-adventure"},
		{"Haikyū!!", "haikyu"},
		{"Ænima Straße", "anima-strase"},
		{"進撃の巨人", "manga"},
		{"進撃の巨人 Attack on Titan", "attack-on-titan"},
		{"!!!", "manga"},
		{long, strings.TrimSuffix(strings.Repeat("word-", 24), "-")}, // 119 characters, cut at a word
		{strings.Repeat("a", 130), strings.Repeat("a", 120)},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			m := validManga()
			m.Title = tt.title
			if err := catalog.New(newMangaStore()).CreateManga(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if m.Slug != tt.want {
				t.Fatalf("slug of %q = %q, want %q", tt.title, m.Slug, tt.want)
			}
		})
	}
}

func TestCreateMangaPassesConflicts(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	if err := svc.CreateManga(context.Background(), validManga()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.CreateManga(context.Background(), validManga()), mangahub.CodeConflict)
	wantField(t, svc.CreateManga(context.Background(), nil), "manga")
}

func TestUpdateManga(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	ctx := context.Background()
	m := validManga()
	if err := svc.CreateManga(ctx, m); err != nil {
		t.Fatal(err)
	}

	t.Run("only set fields are validated and passed on", func(t *testing.T) {
		title := "  Frieren  "
		upd := mangahub.MangaUpdate{Title: &title, Year: &mangahub.OptionalInt{}}
		got, err := svc.UpdateManga(ctx, m.ID, upd)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Frieren" || got.Year != nil {
			t.Fatalf("updated = %+v", got)
		}
		sent := st.updates[len(st.updates)-1]
		if *sent.Title != "Frieren" || sent.Year == nil || sent.Year.Value != nil {
			t.Fatalf("store got %+v", sent)
		}
		if sent.Slug != nil || sent.Author != nil || sent.Status != nil || sent.TotalChapters != nil ||
			sent.Description != nil || sent.CoverURL != nil || sent.Genres != nil {
			t.Fatalf("unset fields reached the store as set: %+v", sent)
		}
		if title != "  Frieren  " {
			t.Fatal("the caller's value was modified")
		}
	})

	t.Run("genres normalised, empty list kept as set", func(t *testing.T) {
		for _, in := range [][]string{{"Drama", " drama "}, {}, nil} {
			g := in
			if _, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Genres: &g}); err != nil {
				t.Fatal(err)
			}
			sent := st.updates[len(st.updates)-1].Genres
			want := []string{}
			if len(in) > 0 {
				want = []string{"Drama"}
			}
			if sent == nil || !reflect.DeepEqual(*sent, want) {
				t.Fatalf("genres %q reached the store as %v, want %q", in, sent, want)
			}
		}
	})

	invalid := []struct {
		field string
		upd   mangahub.MangaUpdate
	}{
		{"title", mangahub.MangaUpdate{Title: ptr(" ")}},
		{"author", mangahub.MangaUpdate{Author: ptr("")}},
		{"slug", mangahub.MangaUpdate{Slug: ptr("")}},
		{"slug", mangahub.MangaUpdate{Slug: ptr("Not A Slug")}},
		{"status", mangahub.MangaUpdate{Status: ptr(mangahub.MangaStatus("done"))}},
		{"total_chapters", mangahub.MangaUpdate{TotalChapters: &mangahub.OptionalInt{Value: ptr(-5)}}},
		{"year", mangahub.MangaUpdate{Year: &mangahub.OptionalInt{Value: ptr(3000)}}},
		{"description", mangahub.MangaUpdate{Description: ptr(strings.Repeat("d", 5001))}},
		{"cover_url", mangahub.MangaUpdate{CoverURL: ptr("ftp://example.com/a.png")}},
		{"genres", mangahub.MangaUpdate{Genres: ptr([]string{""})}},
		{"title", mangahub.MangaUpdate{Year: &mangahub.OptionalInt{Value: ptr(2001)}, Title: ptr("")}},
	}
	for _, tt := range invalid {
		t.Run("invalid "+tt.field, func(t *testing.T) {
			before := st.writes()
			_, err := svc.UpdateManga(ctx, m.ID, tt.upd)
			wantField(t, err, tt.field)
			if st.writes() != before {
				t.Fatal("an invalid update reached the store")
			}
		})
	}

	t.Run("empty update reads without writing", func(t *testing.T) {
		before := st.writes()
		got, err := svc.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{})
		if err != nil || got.ID != m.ID {
			t.Fatalf("UpdateManga(empty) = %+v, %v", got, err)
		}
		if st.writes() != before {
			t.Fatal("an empty update wrote")
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		for _, id := range []int64{0, -3, 12345} {
			_, err := svc.UpdateManga(ctx, id, mangahub.MangaUpdate{Title: ptr("x")})
			wantCode(t, err, mangahub.CodeNotFound)
		}
	})
}

func TestDeleteManga(t *testing.T) {
	st := newMangaStore()
	svc := catalog.New(st)
	m := validManga()
	if err := svc.CreateManga(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteManga(context.Background(), m.ID); err != nil {
		t.Fatal(err)
	}
	if st.count() != 0 {
		t.Fatal("manga not deleted")
	}
	wantCode(t, svc.DeleteManga(context.Background(), m.ID), mangahub.CodeNotFound)
	wantCode(t, svc.DeleteManga(context.Background(), 0), mangahub.CodeNotFound)
}
