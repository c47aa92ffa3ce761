package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOddInputs throws hostile and strange input at every kind of route:
// whatever it is, the answer is a 4xx problem (or a success), never a 500.
func TestOddInputs(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Odd Input", "total_chapters": 10, "genres": []string{"Drama"}})
	q := url.QueryEscape
	tests := []struct {
		method, path string
		body         any
		want         int // 0: any status below 500
	}{
		{"GET", "/api/manga/-1", nil, 404},
		{"GET", "/api/manga/0", nil, 404},
		{"GET", "/api/manga/9223372036854775807", nil, 404},
		{"GET", "/api/manga/9223372036854775808", nil, 422},
		{"GET", "/api/manga/99999999999999999999999999", nil, 422},
		{"GET", "/api/manga/1.5", nil, 422},
		{"GET", "/api/manga/1e3", nil, 422},
		{"GET", "/api/manga/" + q("1; DROP TABLE manga"), nil, 422},
		{"GET", "/api/manga/%00", nil, 422},
		{"GET", "/api/manga/" + q("①"), nil, 422},
		{"GET", "/api/manga?q=" + q("' OR '1'='1"), nil, 200},
		{"GET", "/api/manga?q=" + q("%_\\"), nil, 200},
		{"GET", "/api/manga?q=" + q("進撃の巨人 🚀 \u202e"), nil, 200},
		{"GET", "/api/manga?q=" + q("\x00\x01"), nil, 0},
		{"GET", "/api/manga?genre=" + q("Drama' --"), nil, 0},
		{"GET", "/api/manga?genre=" + q(strings.Repeat("g", 10_000)), nil, 422},
		{"GET", "/api/manga?author=" + q(strings.Repeat("é", 5_000)), nil, 422},
		{"GET", "/api/manga?" + strings.Repeat("genre=a&", 50), nil, 422},
		{"GET", "/api/manga?limit=99999999999999999999", nil, 422},
		{"GET", "/api/manga?limit=-1", nil, 422},
		{"GET", "/api/manga?offset=99999999999", nil, 422},
		{"GET", "/api/manga?offset=1e3", nil, 422},
		{"GET", "/api/manga?sort=" + q("title; DELETE FROM manga"), nil, 422},
		{"GET", "/api/progress/-5", nil, 404},
		{"GET", "/api/progress/abc", nil, 422},
		{"DELETE", "/api/progress/0", nil, 404},
		{"GET", "/api/genres/-1/manga", nil, 404},
		{"GET", "/api/genres/x/manga?limit=1", nil, 422},
		{"POST", "/api/progress", `{"manga_id": -1, "chapter": 1}`, 422},
		{"POST", "/api/progress", `{"manga_id": 1e300, "chapter": 1}`, 422},
		{"POST", "/api/progress", `{"manga_id": 9223372036854775808, "chapter": 1}`, 422},
		{"POST", "/api/progress", fmt.Sprintf(`{"manga_id": %d, "chapter": 99999999999999999999}`, m.ID), 422},
		{"POST", "/api/progress", fmt.Sprintf(`{"manga_id": %d, "chapter": "１２"}`, m.ID), 422},
		{"POST", "/api/progress", fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "expected_version": -1}`, m.ID), 422},
		{"POST", "/api/progress", fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "last_read_at": "0001-01-01T00:00:00Z"}`, m.ID), 422},
		{"POST", "/api/progress", fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "last_read_at": "9999-12-31T23:59:59Z"}`, m.ID), 200},
		{"POST", "/api/progress", strings.Repeat("[", 20_000), 0},
		{"POST", "/api/progress", `{"manga_id": 1, "manga_id": "x", "chapter": 1}`, 0},
		{"POST", "/auth/register", `{"username": "ユーザー", "email": "u@example.com", "password": "password1"}`, 422},
		{"POST", "/auth/register", `{"username": "rob'); DROP TABLE users;--", "email": "r@example.com", "password": "password1"}`, 422},
		{"POST", "/auth/register", `{"username": "nul\u0000l", "email": "n@example.com", "password": "password1"}`, 422},
		{"POST", "/auth/register", `{"username": "emailer", "email": "` + strings.Repeat("a", 300) + `@example.com", "password": "password1"}`, 422},
		{"POST", "/auth/login", `{"username": "' OR 1=1 --", "password": "x"}`, 401},
		{"POST", "/auth/login", `{"username": "reader", "password": "` + strings.Repeat("p", 10_000) + `"}`, 401},
		{"POST", "/auth/refresh", `{"refresh_token": "` + strings.Repeat("t", 5_000) + `"}`, 422},
		{"POST", "/auth/refresh", `{"refresh_token": "\u0000"}`, 401},
		{"PUT", mangaPath(m.ID), `{"title": "\u0000"}`, 422},
		{"PUT", mangaPath(m.ID), `{"total_chapters": 1e10}`, 0},
		{"PUT", mangaPath(m.ID), `{"genres": [null]}`, 422},
		{"PUT", mangaPath(m.ID), `{"genres": null, "title": null}`, 200},
		{"PUT", "/api/manga/-7", `{"title": "x"}`, 404},
		{"POST", "/api/genres", `{"name": "` + strings.Repeat("n", 1_000) + `"}`, 422},
		{"POST", "/api/genres", `{"name": "🚀"}`, 0},
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			res := send(t, e.h, request{method: tt.method, path: tt.path, token: e.adminToken, body: tt.body})
			if res.Status >= 500 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			noLeaks(t, res.Body)
			if tt.want != 0 && res.Status != tt.want {
				t.Errorf("status = %d, want %d; body: %.300s", res.Status, tt.want, res.Body)
			}
		})
	}
}

// FuzzProgressUpdate sends arbitrary bodies to POST /api/progress. Run
// `go test -fuzz FuzzProgressUpdate ./internal/httpapi` to explore beyond
// the seeds.
func FuzzProgressUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"manga_id": 1, "chapter": 1}`,
		`{"manga_id": 1, "chapter": 3, "status": "completed", "force": true, "expected_version": 1}`,
		`{"manga_id": 1, "chapter": 1, "last_read_at": "2024-02-30T25:61:00Z"}`,
		`{"manga_id": "1", "chapter": [1]}`,
		`{"manga_id": 1e400}`,
		`{"manga_id":1,"chapter":1,"status":null,"last_read_at":null,"expected_version":null}`,
		"\xef\xbb\xbf{}",
		`{`,
		``,
	} {
		f.Add(seed)
	}
	e := newEnv(f, envOptions{})
	e.createManga(f, map[string]any{"title": "Fuzz", "total_chapters": 100})
	f.Fuzz(func(t *testing.T, body string) {
		res := send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken, body: body})
		if res.Status >= 500 {
			t.Fatalf("body %q: status %d: %s", body, res.Status, res.Body)
		}
		noLeaks(t, res.Body)
	})
}
