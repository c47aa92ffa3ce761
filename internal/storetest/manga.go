package storetest

import (
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

func onePiece() *mangahub.Manga {
	return &mangahub.Manga{
		Slug:          "one-piece",
		Title:         "One Piece",
		AltTitles:     []string{"ワンピース", "Wan Pīsu"},
		Author:        "Eiichiro Oda",
		Status:        mangahub.MangaOngoing,
		TotalChapters: ptr(1100),
		Year:          ptr(1997),
		Description:   "Pirates, a rubber boy and the sea.",
		CoverURL:      "https://example.com/covers/one-piece.jpg",
		Genres:        []string{"Comedy", "Action", "action"},
	}
}

// t0 is a fixed past time for records these tests write.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func testManga(t *testing.T, open func(*testing.T) Stores) {
	t.Run("CatalogVersion", func(t *testing.T) { testCatalogVersion(t, open(t)) })
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		m := onePiece()
		before := time.Now()
		mustCreateManga(t, s, m)
		after := time.Now()
		if m.ID <= 0 {
			t.Errorf("ID = %d, want > 0", m.ID)
		}
		serverTime(t, "CreatedAt", m.CreatedAt, before, after)
		if m.UpdatedAt != m.CreatedAt {
			t.Errorf("UpdatedAt %v != CreatedAt %v on create", m.UpdatedAt, m.CreatedAt)
		}
		// Duplicate genres collapse case-insensitively, the first spelling
		// wins, and the list comes back sorted.
		equal(t, "genres after CreateManga", m.Genres, []string{"Action", "Comedy"})
		equal(t, "FindMangaByID", mustFindManga(t, s, m.ID), m)
	})

	t.Run("NullsAndNoGenres", func(t *testing.T) {
		s := open(t)
		m := mangaN(1)
		m.Genres = nil
		mustCreateManga(t, s, m)
		got := mustFindManga(t, s, m.ID)
		if got.TotalChapters != nil || got.Year != nil {
			t.Errorf("TotalChapters %v, Year %v; want both nil", got.TotalChapters, got.Year)
		}
		// Never null, so that JSON says [].
		equal(t, "genres", got.Genres, []string{})
		equal(t, "genres set by CreateManga", m.Genres, []string{})
		equal(t, "alternative titles", got.AltTitles, []string{})
		equal(t, "alternative titles set by CreateManga", m.AltTitles, []string{})
	})

	t.Run("IDsAscend", func(t *testing.T) {
		s := open(t)
		a := mustCreateManga(t, s, mangaN(1))
		if err := s.Manga.DeleteManga(t.Context(), a.ID); err != nil {
			t.Fatalf("DeleteManga: %v", err)
		}
		b := mustCreateManga(t, s, mangaN(2))
		if b.ID <= a.ID {
			t.Errorf("ID after a delete = %d, want > %d (IDs are never reused)", b.ID, a.ID)
		}
	})

	t.Run("SlugTaken", func(t *testing.T) {
		s := open(t)
		mustCreateManga(t, s, onePiece())
		dup := mangaN(2)
		dup.Slug = "one-piece"
		dup.Genres = []string{"Horror"}
		wantCode(t, "CreateManga(taken slug)", s.Manga.CreateManga(t.Context(), dup), mangahub.CodeConflict)
		// The failed create is rolled back whole: no "Horror" genre.
		genres, err := s.Manga.FindGenres(t.Context())
		if err != nil {
			t.Fatalf("FindGenres: %v", err)
		}
		for _, g := range genres {
			if g.Name == "Horror" {
				t.Errorf("genre %q of the failed create exists", g.Name)
			}
		}
	})

	t.Run("GenresReused", func(t *testing.T) {
		s := open(t)
		a := mangaN(1)
		a.Genres = []string{"Action"}
		mustCreateManga(t, s, a)
		b := mangaN(2)
		b.Genres = []string{"drama", "ACTION"}
		mustCreateManga(t, s, b)
		equal(t, "genres of b", b.Genres, []string{"Action", "drama"})
		equal(t, "FindMangaByID(b).Genres", mustFindManga(t, s, b.ID).Genres, []string{"Action", "drama"})
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		m := mustCreateManga(t, s, mangaN(1))
		ctx := t.Context()
		missing := m.ID + 1000
		_, err := s.Manga.FindMangaByID(ctx, missing)
		wantCode(t, "FindMangaByID", err, mangahub.CodeNotFound)
		_, err = s.Manga.UpdateManga(ctx, missing, mangahub.MangaUpdate{Title: ptr("x")})
		wantCode(t, "UpdateManga", err, mangahub.CodeNotFound)
		wantCode(t, "DeleteManga", s.Manga.DeleteManga(ctx, missing), mangahub.CodeNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		tests := []struct {
			name  string
			upd   mangahub.MangaUpdate
			apply func(m *mangahub.Manga)
		}{
			{"nothing", mangahub.MangaUpdate{}, func(*mangahub.Manga) {}},
			{"title only", mangahub.MangaUpdate{Title: ptr("One Piece (Colour)")},
				func(m *mangahub.Manga) { m.Title = "One Piece (Colour)" }},
			{"null total and year", mangahub.MangaUpdate{TotalChapters: &mangahub.OptionalInt{}, Year: &mangahub.OptionalInt{}},
				func(m *mangahub.Manga) { m.TotalChapters, m.Year = nil, nil }},
			{"set total", mangahub.MangaUpdate{TotalChapters: &mangahub.OptionalInt{Value: ptr(1200)}},
				func(m *mangahub.Manga) { m.TotalChapters = ptr(1200) }},
			{"replace genres", mangahub.MangaUpdate{Genres: &[]string{"Drama", "adventure"}},
				func(m *mangahub.Manga) { m.Genres = []string{"adventure", "Drama"} }},
			{"reuse an existing genre in another case", mangahub.MangaUpdate{Genres: &[]string{"COMEDY"}},
				func(m *mangahub.Manga) { m.Genres = []string{"Comedy"} }},
			{"clear genres", mangahub.MangaUpdate{Genres: &[]string{}},
				func(m *mangahub.Manga) { m.Genres = []string{} }},
			{"replace alternative titles", mangahub.MangaUpdate{AltTitles: &[]string{"OP"}},
				func(m *mangahub.Manga) { m.AltTitles = []string{"OP"} }},
			{"clear alternative titles", mangahub.MangaUpdate{AltTitles: &[]string{}},
				func(m *mangahub.Manga) { m.AltTitles = []string{} }},
			{"every field", mangahub.MangaUpdate{
				Slug:          ptr("op"),
				Title:         ptr("ワンピース"),
				Author:        ptr("Oda Eiichirō"),
				Status:        ptr(mangahub.MangaHiatus),
				TotalChapters: &mangahub.OptionalInt{Value: ptr(5)},
				Year:          &mangahub.OptionalInt{Value: ptr(1999)},
				Description:   ptr(""),
				CoverURL:      ptr(""),
			}, func(m *mangahub.Manga) {
				m.Slug, m.Title, m.Author, m.Status = "op", "ワンピース", "Oda Eiichirō", mangahub.MangaHiatus
				m.TotalChapters, m.Year, m.Description, m.CoverURL = ptr(5), ptr(1999), "", ""
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				orig := mustCreateManga(t, s, onePiece())
				want := clone(orig)
				tt.apply(want)
				got, err := s.Manga.UpdateManga(t.Context(), orig.ID, tt.upd)
				if err != nil {
					t.Fatalf("UpdateManga: %v", err)
				}
				if !got.UpdatedAt.After(orig.UpdatedAt) {
					t.Errorf("UpdatedAt %v, want after %v", got.UpdatedAt, orig.UpdatedAt)
				}
				serverTime(t, "UpdatedAt", got.UpdatedAt, orig.UpdatedAt, time.Now())
				want.UpdatedAt = got.UpdatedAt
				equal(t, "UpdateManga", got, want)
				equal(t, "FindMangaByID", mustFindManga(t, s, orig.ID), want)
			})
		}
	})

	t.Run("UpdateSearchKeys", func(t *testing.T) {
		s := open(t)
		m := mustCreateManga(t, s, onePiece())
		if _, err := s.Manga.UpdateManga(t.Context(), m.ID, mangahub.MangaUpdate{
			Title: ptr("Pokémon Special"), Author: ptr("Kusaka Hidenori"), AltTitles: &[]string{"Pocket Monsters"},
		}); err != nil {
			t.Fatalf("UpdateManga: %v", err)
		}
		for _, tt := range []struct {
			f    mangahub.MangaFilter
			want int
		}{
			{mangahub.MangaFilter{Terms: []string{"pokemon", "special"}}, 1},
			{mangahub.MangaFilter{Terms: []string{"piece"}}, 0},
			{mangahub.MangaFilter{Terms: []string{"pocket monsters"}}, 1},
			{mangahub.MangaFilter{Terms: []string{"wan"}}, 0},
			{mangahub.MangaFilter{Author: "kusaka"}, 1},
			{mangahub.MangaFilter{Author: "oda"}, 0},
		} {
			tt.f.Sort, tt.f.Limit = mangahub.SortTitle, 10
			_, total, err := s.Manga.FindManga(t.Context(), tt.f)
			if err != nil || total != tt.want {
				t.Errorf("FindManga(%+v) after update: total %d, err %v; want %d", tt.f, total, err, tt.want)
			}
		}
	})

	t.Run("Summaries", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		a := mustCreateManga(t, s, onePiece())
		b := mustCreateManga(t, s, mangaN(2))
		c := mustCreateManga(t, s, mangaN(3))
		got, err := s.Manga.FindMangaSummaries(ctx, []int64{c.ID, a.ID, c.ID + 100, a.ID})
		if err != nil {
			t.Fatalf("FindMangaSummaries: %v", err)
		}
		equal(t, "FindMangaSummaries", got, []*mangahub.MangaSummary{
			{ID: a.ID, Slug: a.Slug, Title: a.Title, TotalChapters: ptr(1100), CoverURL: a.CoverURL},
			{ID: c.ID, Slug: c.Slug, Title: c.Title},
		})
		for _, ids := range [][]int64{nil, {}, {b.ID + 100}} {
			got, err := s.Manga.FindMangaSummaries(ctx, ids)
			if err != nil || got == nil || len(got) != 0 {
				t.Errorf("FindMangaSummaries(%v) = %v, %v; want an empty, non-nil list", ids, got, err)
			}
		}
	})

	t.Run("UpdateSlugTaken", func(t *testing.T) {
		s := open(t)
		a := mustCreateManga(t, s, onePiece())
		b := mustCreateManga(t, s, mangaN(2))
		_, err := s.Manga.UpdateManga(t.Context(), b.ID, mangahub.MangaUpdate{
			Slug: ptr(a.Slug), Title: ptr("changed"), Genres: &[]string{"Changed"},
		})
		wantCode(t, "UpdateManga(taken slug)", err, mangahub.CodeConflict)
		equal(t, "b after the failed update", mustFindManga(t, s, b.ID), b)
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		u := mustCreateUser(t, s, userN(1))
		m := mustCreateManga(t, s, onePiece())
		other := mustCreateManga(t, s, mangaN(2))
		for _, id := range []int64{m.ID, other.ID} {
			p := &mangahub.Progress{UserID: u.ID, MangaID: id, Chapter: 3, Status: mangahub.StatusReading,
				LastReadAt: time.Unix(1700000000, 0).UTC(), UpdatedAt: time.Unix(1700000000, 0).UTC(), Version: 1}
			if err := put(ctx, s.Progress, p); err != nil {
				t.Fatalf("PutProgress: %v", err)
			}
		}
		if err := s.Manga.DeleteManga(ctx, m.ID); err != nil {
			t.Fatalf("DeleteManga: %v", err)
		}
		_, err := s.Manga.FindMangaByID(ctx, m.ID)
		wantCode(t, "FindMangaByID after delete", err, mangahub.CodeNotFound)
		_, err = s.Progress.FindProgress(ctx, u.ID, m.ID)
		wantCode(t, "FindProgress of the deleted manga", err, mangahub.CodeNotFound)
		if _, err := s.Progress.FindProgress(ctx, u.ID, other.ID); err != nil {
			t.Errorf("FindProgress of the other manga: %v", err)
		}
		wantCode(t, "DeleteManga twice", s.Manga.DeleteManga(ctx, m.ID), mangahub.CodeNotFound)
		// The genres stay, now unused.
		genres, err := s.Manga.FindGenres(ctx)
		if err != nil {
			t.Fatalf("FindGenres: %v", err)
		}
		for _, g := range genres {
			if g.MangaCount != 0 {
				t.Errorf("genre %s: manga_count %d after delete, want 0", g.Name, g.MangaCount)
			}
		}
		if len(genres) != 2 {
			t.Errorf("%d genres after delete, want 2", len(genres))
		}
	})

	t.Run("Put", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		first := onePiece()
		first.ID = 12345 // ignored: PutManga goes by slug
		before := time.Now()
		if res, err := s.Manga.PutManga(ctx, first); err != nil || res.Outcome != mangahub.PutCreated {
			t.Fatalf("PutManga (insert): %+v, %v", res, err)
		}
		serverTime(t, "CreatedAt", first.CreatedAt, before, time.Now())
		if first.UpdatedAt != first.CreatedAt || first.ID == 12345 || first.ID <= 0 {
			t.Errorf("after insert: ID %d, CreatedAt %v, UpdatedAt %v", first.ID, first.CreatedAt, first.UpdatedAt)
		}
		equal(t, "FindMangaByID after insert", mustFindManga(t, s, first.ID), first)

		second := &mangahub.Manga{
			Slug: "one-piece", Title: "ONE PIECE", AltTitles: []string{"OP"}, Author: "Oda", Status: mangahub.MangaCompleted,
			Description: "New text.", Genres: []string{"Shōnen"},
		}
		if res, err := s.Manga.PutManga(ctx, second); err != nil || res.Outcome != mangahub.PutUpdated || res.Beyond != 0 {
			t.Fatalf("PutManga (update): %+v, %v", res, err)
		}
		if second.ID != first.ID || second.CreatedAt != first.CreatedAt || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Errorf("after update: ID %d, CreatedAt %v, UpdatedAt %v; want ID %d, CreatedAt %v, a later UpdatedAt",
				second.ID, second.CreatedAt, second.UpdatedAt, first.ID, first.CreatedAt)
		}
		equal(t, "genres after update", second.Genres, []string{"Shōnen"})
		equal(t, "FindMangaByID after update", mustFindManga(t, s, first.ID), second)

		_, total, err := s.Manga.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 10})
		if err != nil || total != 1 {
			t.Errorf("FindManga: total %d, err %v; want one manga", total, err)
		}
	})
	// Putting what is stored writes nothing; an update that lowers the
	// chapter count tells how many readers it leaves past the end.
	t.Run("PutUnchangedAndBeyond", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		m := mustCreateManga(t, s, onePiece())
		stored := mustFindManga(t, s, m.ID)
		for i, chapter := range []int{900, 1050, 1100} {
			u := mustCreateUser(t, s, userN(i+1))
			p := &mangahub.Progress{UserID: u.ID, MangaID: m.ID, Chapter: chapter, Status: mangahub.StatusReading,
				LastReadAt: t0, UpdatedAt: t0, Version: 1}
			if err := put(ctx, s.Progress, p); err != nil {
				t.Fatalf("put progress: %v", err)
			}
			if i == 2 { // a deleted record does not count
				if err := del(ctx, s.Progress, p); err != nil {
					t.Fatalf("delete progress: %v", err)
				}
			}
		}

		same := onePiece()
		same.Genres = []string{"ACTION", "comedy"} // the same genres, other spellings and order
		res, err := s.Manga.PutManga(ctx, same)
		if err != nil || res.Outcome != mangahub.PutUnchanged {
			t.Fatalf("PutManga (same content): %+v, %v", res, err)
		}
		equal(t, "the manga after an unchanged put", same, stored)
		equal(t, "stored after an unchanged put", mustFindManga(t, s, m.ID), stored)

		shorter := onePiece()
		shorter.TotalChapters = ptr(1000)
		res, err = s.Manga.PutManga(ctx, shorter)
		if err != nil || res.Outcome != mangahub.PutUpdated {
			t.Fatalf("PutManga (total 1000): %+v, %v; want updated", res, err)
		}
		// Beyond is what the database holds. A progress store in front of
		// it (write-behind, which takes no batches itself) may not have
		// flushed these records yet.
		if _, durable := s.Progress.(mangahub.ProgressBatchWriter); durable && res.Beyond != 1 {
			t.Errorf("PutManga (total 1000, readers at 900, 1050 and a deleted 1100): Beyond %d, want 1", res.Beyond)
		}
	})
}

// testCatalogVersion: every kind of catalog write moves the version, reads
// do not.
func testCatalogVersion(t *testing.T, s Stores) {
	ctx := t.Context()
	last := int64(-1)
	moved := func(what string, want bool) {
		t.Helper()
		v, err := s.Manga.FindCatalogVersion(ctx)
		if err != nil {
			t.Fatalf("FindCatalogVersion after %s: %v", what, err)
		}
		if last >= 0 && (v != last) != want {
			t.Errorf("after %s the version went %d -> %d; want moved = %v", what, last, v, want)
		}
		last = v
	}
	moved("nothing", false)
	m := mangaN(1)
	mustCreateManga(t, s, m)
	moved("CreateManga", true)
	if _, _, err := s.Manga.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle}); err != nil {
		t.Fatalf("FindManga: %v", err)
	}
	moved("FindManga", false)
	if _, err := s.Manga.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: ptr("Another Title")}); err != nil {
		t.Fatalf("UpdateManga: %v", err)
	}
	moved("UpdateManga", true)
	if _, err := s.Manga.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Genres: &[]string{"Mystery"}}); err != nil {
		t.Fatalf("UpdateManga genres: %v", err)
	}
	moved("UpdateManga of the genres", true)
	if _, err := s.Manga.CreateGenre(ctx, "Brand New"); err != nil {
		t.Fatalf("CreateGenre: %v", err)
	}
	moved("CreateGenre", true)
	p := mangaN(2)
	if _, err := s.Manga.PutManga(ctx, p); err != nil {
		t.Fatalf("PutManga: %v", err)
	}
	moved("PutManga (create)", true)
	if err := s.Manga.DeleteManga(ctx, m.ID); err != nil {
		t.Fatalf("DeleteManga: %v", err)
	}
	moved("DeleteManga", true)
}
