package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

type genre struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	MangaCount int    `json:"manga_count"`
}

func TestGenres(t *testing.T) {
	e := newEnv(t, envOptions{})

	res := e.get(t, "/api/genres").wantStatus(t, http.StatusOK)
	if !bytes.Equal(bytes.TrimSpace(res.Body), []byte(`{"items":[]}`)) {
		t.Errorf("empty genre list = %s", res.Body)
	}

	var seinen genre
	res = send(t, e.h, request{method: http.MethodPost, path: "/api/genres", token: e.adminToken, body: map[string]string{"name": "Seinen"}})
	res.wantStatus(t, http.StatusCreated).decode(t, &seinen)
	if seinen.ID <= 0 || seinen.Name != "Seinen" || seinen.MangaCount != 0 {
		t.Fatalf("created genre = %s", res.Body)
	}
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"name": "seinen"}`, 409, "conflict"},
		{`{"name": ""}`, 422, "validation_failed"},
		{`{}`, 422, "validation_failed"},
		{`{"name": 7}`, 422, "validation_failed"},
	} {
		send(t, e.h, request{method: http.MethodPost, path: "/api/genres", token: e.adminToken, body: tt.body}).
			wantProblem(t, tt.status, tt.code)
	}

	m := e.createManga(t, map[string]any{"title": "Berserk", "genres": []string{"Seinen", "Dark Fantasy"}})
	e.createManga(t, map[string]any{"title": "Vagabond", "genres": []string{"Seinen"}})

	var list struct{ Items []genre }
	e.get(t, "/api/genres").wantStatus(t, http.StatusOK).decode(t, &list)
	counts := map[string]int{}
	for _, g := range list.Items {
		counts[g.Name] = g.MangaCount
	}
	if counts["Seinen"] != 2 || counts["Dark Fantasy"] != 1 || len(counts) != 2 {
		t.Errorf("genres = %+v", list.Items)
	}

	var pg mangaPage
	e.get(t, fmt.Sprintf("/api/genres/%d/manga?limit=1", seinen.ID)).wantStatus(t, http.StatusOK).decode(t, &pg)
	if pg.Total != 2 || pg.Limit != 1 || pg.Offset != 0 || len(pg.Items) != 1 || pg.Items[0].ID != m.ID {
		t.Errorf("genre manga page = %+v", pg)
	}
	e.get(t, fmt.Sprintf("/api/genres/%d/manga?offset=5", seinen.ID)).wantStatus(t, http.StatusOK).decode(t, &pg)
	if pg.Total != 2 || len(pg.Items) != 0 || pg.Items == nil {
		t.Errorf("page past the end = %+v", pg)
	}
	e.get(t, "/api/genres/424242/manga").wantProblem(t, http.StatusNotFound, "not_found")
	e.get(t, "/api/genres/-1/manga").wantProblem(t, http.StatusNotFound, "not_found")
	e.get(t, "/api/genres/drama/manga").wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	e.get(t, fmt.Sprintf("/api/genres/%d/manga?limit=500", seinen.ID)).wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
}
