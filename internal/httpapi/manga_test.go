package httpapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

type mangaPage struct {
	Items  []manga `json:"items"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
}

func TestMangaCreateGetUpdateDelete(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := func(method, path string, body any) response {
		t.Helper()
		return send(t, e.h, request{method: method, path: path, token: e.adminToken, body: body})
	}

	m := e.createManga(t, map[string]any{
		"title": "Fullmetal Alchemist", "author": "Hiromu Arakawa", "status": "completed",
		"total_chapters": 108, "year": 2001, "genres": []string{"Action", "Adventure"},
		"description": "Two brothers.", "cover_url": "https://example.com/fma.jpg", "unknown_field": true,
	})
	if m.Slug == "" || m.Title != "Fullmetal Alchemist" || m.Author != "Hiromu Arakawa" || m.Status != "completed" ||
		m.TotalChapters == nil || *m.TotalChapters != 108 || m.Year == nil || *m.Year != 2001 ||
		!slices.Equal(m.Genres, []string{"Action", "Adventure"}) || m.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", m)
	}

	var got manga
	e.get(t, mangaPath(m.ID)).wantStatus(t, http.StatusOK).decode(t, &got)
	if got.Title != m.Title || got.Slug != m.Slug || !slices.Equal(got.Genres, m.Genres) {
		t.Fatalf("get = %+v, want %+v", got, m)
	}

	// A manga without genres has "genres": [], never null.
	bare := admin(http.MethodPost, "/api/manga", map[string]any{"title": "Bare", "author": "Nobody"}).wantStatus(t, http.StatusCreated)
	if !bytes.Contains(bare.Body, []byte(`"genres":[]`)) || !bytes.Contains(bare.Body, []byte(`"total_chapters":null`)) {
		t.Errorf("bare manga = %s", bare.Body)
	}

	// Partial updates: absent fields stay, null clears, values set.
	steps := []struct {
		name  string
		body  string
		check func(m manga) bool
	}{
		{"title only", `{"title": "FMA"}`, func(m manga) bool {
			return m.Title == "FMA" && m.Author == "Hiromu Arakawa" && *m.TotalChapters == 108 && *m.Year == 2001 && len(m.Genres) == 2
		}},
		{"null clears total_chapters only", `{"total_chapters": null}`, func(m manga) bool {
			return m.TotalChapters == nil && m.Year != nil && *m.Year == 2001 && m.Title == "FMA"
		}},
		{"empty body changes nothing", `{}`, func(m manga) bool {
			return m.TotalChapters == nil && *m.Year == 2001 && m.Title == "FMA"
		}},
		{"numbers and genres", `{"total_chapters": 27, "year": null, "genres": ["Drama"], "status": "hiatus"}`, func(m manga) bool {
			return *m.TotalChapters == 27 && m.Year == nil && slices.Equal(m.Genres, []string{"Drama"}) && m.Status == "hiatus"
		}},
	}
	for _, st := range steps {
		var upd manga
		admin(http.MethodPut, mangaPath(m.ID), st.body).wantStatus(t, http.StatusOK).decode(t, &upd)
		if !st.check(upd) {
			t.Errorf("%s: got %+v", st.name, upd)
		}
		e.get(t, mangaPath(m.ID)).wantStatus(t, http.StatusOK).decode(t, &got)
		if !st.check(got) {
			t.Errorf("%s: stored %+v", st.name, got)
		}
	}

	errs := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"update wrong type", http.MethodPut, mangaPath(m.ID), `{"year": "2001"}`, 422, "validation_failed"},
		{"update bad status", http.MethodPut, mangaPath(m.ID), `{"status": "finished"}`, 422, "validation_failed"},
		{"update unknown", http.MethodPut, mangaPath(987654), `{"title": "x"}`, 404, "not_found"},
		{"create missing title", http.MethodPost, "/api/manga", `{"author": "x"}`, 422, "validation_failed"},
		{"create negative chapters", http.MethodPost, "/api/manga", `{"title": "x", "author": "y", "total_chapters": -1}`, 422, "validation_failed"},
		{"create taken slug", http.MethodPost, "/api/manga", map[string]any{"title": "Other", "author": "y", "slug": m.Slug}, 409, "conflict"},
		{"delete unknown", http.MethodDelete, mangaPath(987654), nil, 404, "not_found"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			admin(tt.method, tt.path, tt.body).wantProblem(t, tt.status, tt.code)
		})
	}

	p := admin(http.MethodPut, mangaPath(m.ID), `{"year": "2001"}`).wantProblem(t, 422, "validation_failed")
	if !bytes.Contains([]byte(p.Detail), []byte("year")) {
		t.Errorf("detail %q does not name the field", p.Detail)
	}

	admin(http.MethodDelete, mangaPath(m.ID), nil).wantStatus(t, http.StatusNoContent)
	e.get(t, mangaPath(m.ID)).wantProblem(t, http.StatusNotFound, "not_found")
	admin(http.MethodDelete, mangaPath(m.ID), nil).wantProblem(t, http.StatusNotFound, "not_found")
}

func TestMangaSearch(t *testing.T) {
	e := newEnv(t, envOptions{})
	naruto := e.createManga(t, map[string]any{"title": "Naruto", "author": "Masashi Kishimoto", "year": 1999, "genres": []string{"Action", "Adventure"}})
	pokemon := e.createManga(t, map[string]any{"title": "Pokémon Adventures", "author": "Hidenori Kusaka", "year": 1997, "genres": []string{"Adventure"}})
	yotsuba := e.createManga(t, map[string]any{"title": "Yotsuba&!", "author": "Kiyohiko Azuma", "year": 2003, "status": "hiatus", "genres": []string{"Comedy"}})

	tests := []struct {
		query      string
		want       []int64
		total      int
		limit, off int
	}{
		{"", []int64{naruto.ID, pokemon.ID, yotsuba.ID}, 3, 20, 0},
		{"q=pokemon", []int64{pokemon.ID}, 1, 20, 0},
		{"q=" + url.QueryEscape("POKÉMON adv"), []int64{pokemon.ID}, 1, 20, 0},
		{"q=kishimoto", []int64{naruto.ID}, 1, 20, 0},
		{"genre=Adventure", []int64{naruto.ID, pokemon.ID}, 2, 20, 0},
		{"genre=Adventure&genre=Action", []int64{naruto.ID}, 1, 20, 0},
		{"genre=adventure&genre=comedy", []int64{}, 0, 20, 0},
		{"status=hiatus", []int64{yotsuba.ID}, 1, 20, 0},
		{"author=azuma", []int64{yotsuba.ID}, 1, 20, 0},
		{"sort=-year", []int64{yotsuba.ID, naruto.ID, pokemon.ID}, 3, 20, 0},
		{"sort=year&limit=1&offset=1", []int64{naruto.ID}, 3, 1, 1},
		{"q=" + url.QueryEscape("' OR 1=1 --"), []int64{}, 0, 20, 0},
		{"q=zzz", []int64{}, 0, 20, 0},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/manga", "/api/manga/search"} {
			t.Run(path+"?"+tt.query, func(t *testing.T) {
				res := e.get(t, path+"?"+tt.query).wantStatus(t, http.StatusOK)
				if !bytes.Contains(res.Body, []byte(`"items":[`)) {
					t.Fatalf("items is not an array: %s", res.Body)
				}
				var pg mangaPage
				res.decode(t, &pg)
				var ids []int64
				for _, m := range pg.Items {
					ids = append(ids, m.ID)
					if m.Genres == nil {
						t.Errorf("manga %d has null genres", m.ID)
					}
				}
				if !slices.Equal(ids, tt.want) && !(len(ids) == 0 && len(tt.want) == 0) {
					t.Errorf("ids = %v, want %v", ids, tt.want)
				}
				if pg.Total != tt.total || pg.Limit != tt.limit || pg.Offset != tt.off {
					t.Errorf("total/limit/offset = %d/%d/%d, want %d/%d/%d", pg.Total, pg.Limit, pg.Offset, tt.total, tt.limit, tt.off)
				}
			})
		}
	}

	for _, bad := range []string{"limit=0", "limit=101", "limit=abc", "offset=-1", "sort=newest", "status=dead",
		"q=" + url.QueryEscape(string(bytes.Repeat([]byte("x"), 201)))} {
		t.Run("invalid "+bad, func(t *testing.T) {
			p := e.get(t, "/api/manga?"+bad).wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			name, _, _ := bytes.Cut([]byte(bad), []byte("="))
			if !bytes.Contains([]byte(p.Detail), name) {
				t.Errorf("detail %q does not name %s", p.Detail, name)
			}
		})
	}
}

// TestMangaSearchFindsWhatPeopleType: % and _ are plain characters, other
// names of a series are searched, and relevance ranks whole words above
// prefixes above substrings, a title above its author.
func TestMangaSearchFindsWhatPeopleType(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, m := range []map[string]any{
		{"title": "One Piece", "author": "Eiichiro Oda"},
		{"title": "Golden Kamuy", "author": "Satoru Noda"},
		{"title": "Mob Psycho 100", "author": "ONE"},
		{"title": "Dr. Stone", "author": "Riichiro Inagaki, Boichi"},
		{"title": "Lone Wolf and Cub", "author": "Kazuo Koike, Goseki Kojima"},
		{"title": "Naruto", "author": "Masashi Kishimoto"},
		{"title": "Attack on Titan", "author": "Hajime Isayama", "alt_titles": []string{"Shingeki no Kyojin", "進撃の巨人", "AoT"}},
	} {
		e.createManga(t, m)
	}
	titles := func(q string) []string {
		t.Helper()
		var pg mangaPage
		e.get(t, "/api/manga?q="+url.QueryEscape(q)).wantStatus(t, http.StatusOK).decode(t, &pg)
		out := []string{}
		for _, m := range pg.Items {
			out = append(out, m.Title)
		}
		if pg.Total != len(out) {
			t.Errorf("q=%s: total %d for %d items", q, pg.Total, len(out))
		}
		return out
	}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"%", []string{}},
		{"_", []string{}},
		{"%%", []string{}},
		{"n_ruto", []string{}},
		{"nar%", []string{"Naruto"}},
		{"shingeki no kyojin", []string{"Attack on Titan"}},
		{"進撃", []string{"Attack on Titan"}},
		{"aot", []string{"Attack on Titan"}},
		{"oda", []string{"One Piece", "Golden Kamuy"}},
		{"one", []string{"One Piece", "Mob Psycho 100", "Dr. Stone", "Lone Wolf and Cub"}},
	} {
		if got := titles(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("q=%s: %q, want %q", tt.q, got, tt.want)
		}
	}

	// The admin API sets and replaces alternative titles; they come back
	// as an array, never null.
	m := e.createManga(t, map[string]any{"title": "Kimetsu no Yaiba"})
	if m.AltTitles == nil || len(m.AltTitles) != 0 {
		t.Errorf("alt_titles of a new manga = %#v, want []", m.AltTitles)
	}
	var updated manga
	send(t, e.h, request{method: http.MethodPut, path: mangaPath(m.ID), token: e.adminToken,
		body: map[string]any{"alt_titles": []string{"Demon Slayer", " 鬼滅の刃 "}}}).
		wantStatus(t, http.StatusOK).decode(t, &updated)
	if !slices.Equal(updated.AltTitles, []string{"Demon Slayer", "鬼滅の刃"}) {
		t.Errorf("alt_titles after PUT = %q", updated.AltTitles)
	}
	if got := titles("demon slayer"); !slices.Equal(got, []string{"Kimetsu no Yaiba"}) {
		t.Errorf("q=demon slayer after PUT: %q", got)
	}
}

// TestConflictsNotAboutProgress: a taken slug or a duplicate genre is a
// conflict with no "progress" member; only a progress conflict carries one.
func TestConflictsNotAboutProgress(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Monster", "genres": []string{"Thriller"}})
	other := e.createManga(t, map[string]any{"title": "Pluto"})
	for _, r := range []request{
		{method: http.MethodPost, path: "/api/manga", body: map[string]any{"title": "Monster", "author": "Naoki Urasawa"}},
		{method: http.MethodPut, path: mangaPath(other.ID), body: map[string]any{"slug": m.Slug}},
		{method: http.MethodPost, path: "/api/genres", body: map[string]any{"name": "THRILLER"}},
	} {
		r.token = e.adminToken
		res := send(t, e.h, r)
		res.wantProblem(t, http.StatusConflict, "conflict")
		if bytes.Contains(res.Body, []byte(`"progress"`)) {
			t.Errorf("%s %s: %s", r.method, r.path, res.Body)
		}
	}
	// A progress conflict does carry it, null when there is no record.
	res := send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
		body: map[string]any{"manga_id": m.ID, "chapter": 1, "expected_version": 2}})
	res.wantProblem(t, http.StatusConflict, "conflict")
	if !bytes.Contains(res.Body, []byte(`"progress":null`)) {
		t.Errorf("progress conflict = %s", res.Body)
	}
}
