package refserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var secret = []byte("test-secret-test-secret-test-secret-0123")

const userID = "11111111-1111-4111-8111-111111111111"

func token(t *testing.T, method jwt.SigningMethod, edit func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"sub": userID, "user_id": userID, "username": "reader", "role": "user", "type": "access",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "iss": "mangahub"}
	if edit != nil {
		edit(c)
	}
	s, err := jwt.NewWithClaims(method, c).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr(n int) *int { return &n }

// fixture is a small catalog whose search order exercises every rank.
func fixture(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New(secret)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for _, m := range []*Manga{
		{ID: 1, Slug: "dragon-ball", Title: "Dragon Ball", AltTitles: []string{"DB"}, Author: "Akira Toriyama", TotalChapters: ptr(519)},
		{ID: 2, Slug: "dragonfly", Title: "Dragonfly Summer", Author: "Mei Sato"},
		{ID: 3, Slug: "the-dragon", Title: "Dragon", Author: "Ken Mori"},
		{ID: 4, Slug: "snapdragon", Title: "Snapdragon", Author: "Yuki Dragon"},
		{ID: 5, Slug: "pokemon", Title: "Pokémon Adventures", Author: "Hidenori Kusaka"},
		{ID: 6, Slug: "akira", Title: "Akira", Author: "Katsuhiro Otomo"},
	} {
		m.Status, m.Genres, m.CreatedAt, m.UpdatedAt = "ongoing", []string{"Action"}, at, at
		if m.AltTitles == nil {
			m.AltTitles = []string{}
		}
		s.PutManga(m)
	}
	s.PutUser(userID, []*Progress{
		{UserID: userID, MangaID: 1, Chapter: 3, Status: "reading", LastReadAt: at, UpdatedAt: at, Version: 1},
		{UserID: userID, MangaID: 6, Chapter: 9, Status: "completed", LastReadAt: at, UpdatedAt: at.Add(time.Minute), Version: 4},
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv
}

func get(t *testing.T, srv *httptest.Server, path, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestTokenChecks(t *testing.T) {
	_, srv := fixture(t)
	tests := []struct {
		name string
		tok  string
		want int
	}{
		{"valid", token(t, jwt.SigningMethodHS256, nil), http.StatusOK},
		{"none", "", http.StatusUnauthorized},
		{"HS512 with the secret", token(t, jwt.SigningMethodHS512, nil), http.StatusUnauthorized},
		{"expired", token(t, jwt.SigningMethodHS256, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), http.StatusUnauthorized},
		{"refresh type", token(t, jwt.SigningMethodHS256, func(c jwt.MapClaims) { c["type"] = "refresh" }), http.StatusUnauthorized},
		{"other issuer", token(t, jwt.SigningMethodHS256, func(c jwt.MapClaims) { c["iss"] = "evil" }), http.StatusUnauthorized},
		{"unknown user", token(t, jwt.SigningMethodHS256, func(c jwt.MapClaims) { c["user_id"] = "someone-else" }), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := get(t, srv, "/api/manga/1", tt.tok); status != tt.want {
				t.Errorf("status %d (%s), want %d", status, body, tt.want)
			}
		})
	}
}

func TestMangaByIDEncodesTheContractShape(t *testing.T) {
	_, srv := fixture(t)
	status, body := get(t, srv, "/api/manga/1", token(t, jwt.SigningMethodHS256, nil))
	want := `{"id":1,"slug":"dragon-ball","title":"Dragon Ball","alt_titles":["DB"],"author":"Akira Toriyama","status":"ongoing",` +
		`"total_chapters":519,"year":null,"description":"","cover_url":"","genres":["Action"],` +
		`"created_at":"2026-01-02T03:04:05.123456Z","updated_at":"2026-01-02T03:04:05.123456Z"}` + "\n"
	if status != http.StatusOK || string(body) != want {
		t.Errorf("GET /api/manga/1 = %d\n%s\nwant\n%s", status, body, want)
	}
	if status, _ := get(t, srv, "/api/manga/99", token(t, jwt.SigningMethodHS256, nil)); status != http.StatusNotFound {
		t.Errorf("missing manga: status %d, want 404", status)
	}
}

func searchIDs(t *testing.T, srv *httptest.Server, q string) ([]int64, int) {
	t.Helper()
	status, body := get(t, srv, "/api/manga?q="+url.QueryEscape(q), token(t, jwt.SigningMethodHS256, nil))
	if status != http.StatusOK {
		t.Fatalf("search %q: status %d", q, status)
	}
	var p Page[Manga]
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range p.Items {
		ids = append(ids, m.ID)
	}
	return ids, p.Total
}

func TestSearchOrder(t *testing.T) {
	_, srv := fixture(t)
	tests := []struct {
		q    string
		want []int64
	}{
		// A whole name first (3), then whole words of a name (1), a whole
		// word of the author (4), the start of a word (2), inside one
		// (none: snapdragon's author already ranks it).
		{"dragon", []int64{3, 1, 4, 2}},
		{"DRAGON ball", []int64{1}},
		{"pokemon", []int64{5}}, // accents fold
		{"akira", []int64{6, 1}},
		{"zzz", nil},
	}
	for _, tt := range tests {
		ids, total := searchIDs(t, srv, tt.q)
		if len(ids) != len(tt.want) || total != len(tt.want) {
			t.Errorf("search %q = %v (total %d), want %v", tt.q, ids, total, tt.want)
			continue
		}
		for i := range ids {
			if ids[i] != tt.want[i] {
				t.Errorf("search %q = %v, want %v", tt.q, ids, tt.want)
				break
			}
		}
	}
}

func TestProgressListNewestFirstWithManga(t *testing.T) {
	_, srv := fixture(t)
	status, body := get(t, srv, "/api/progress", token(t, jwt.SigningMethodHS256, nil))
	var p Page[ProgressItem]
	if err := json.Unmarshal(body, &p); err != nil || status != http.StatusOK {
		t.Fatalf("status %d, %v: %s", status, err, body)
	}
	if p.Total != 2 || len(p.Items) != 2 || p.Items[0].MangaID != 6 || p.Items[1].Manga.Slug != "dragon-ball" || p.Limit != 20 {
		t.Errorf("GET /api/progress = %s", body)
	}
}

// TestCopyFromGivesTheSameBytes: a server filled from another over the
// API answers every route with the same bytes, which is what the load
// tool's equal mean response sizes rest on.
func TestCopyFromGivesTheSameBytes(t *testing.T) {
	_, src := fixture(t)
	tok := token(t, jwt.SigningMethodHS256, nil)
	dst := New(secret)
	if err := dst.CopyFrom(t.Context(), src.URL, []string{tok}); err != nil {
		t.Fatal(err)
	}
	if manga, users := dst.Counts(); manga != 6 || users != 1 {
		t.Fatalf("copied %d manga and %d users, want 6 and 1", manga, users)
	}
	copySrv := httptest.NewServer(dst.Handler())
	t.Cleanup(copySrv.Close)
	for _, path := range []string{"/api/manga/1", "/api/manga/5", "/api/manga?q=dragon", "/api/manga", "/api/progress"} {
		_, a := get(t, src, path, tok)
		_, b := get(t, copySrv, path, tok)
		if string(a) != string(b) {
			t.Errorf("%s differs:\n%s\n%s", path, a, b)
		}
	}
}
