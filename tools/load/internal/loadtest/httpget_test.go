package loadtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRoutePaths(t *testing.T) {
	paths, err := RoutePaths(RouteSearch, nil, []string{"dragon", "Kōhei x"})
	if err != nil || len(paths) != 2 || paths[1] != "/api/manga?q=K%C5%8Dhei+x" {
		t.Errorf("search paths = %q, %v", paths, err)
	}
	if paths, _ := RoutePaths(RouteMangaByID, []int64{7, 9}, nil); len(paths) != 2 || paths[0] != "/api/manga/7" {
		t.Errorf("by-id paths = %q", paths)
	}
	if _, err := RoutePaths(RouteMangaByID, nil, nil); err == nil {
		t.Error("by-id without IDs: no error")
	}
	if _, err := RoutePaths("nope", nil, nil); err == nil {
		t.Error("unknown route: no error")
	}
}

// The mean response size weighs every path the same, however often each
// was requested, and counts only successful answers.
func TestHTTPGetMeanBytes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/a":
			w.Write(bytes.Repeat([]byte("a"), 100))
		case "/b":
			w.Write(bytes.Repeat([]byte("b"), 300))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte("not found"))
		}
	}))
	t.Cleanup(srv.Close)
	h := NewHTTPGet(srv.URL, "tok", 1, []string{"/a", "/b", "/missing"})
	defer h.Close()
	ctx := t.Context()
	for _, seq := range []int{0, 0, 0, 1} { // /a three times, /b once
		if err := h.Op(ctx, 0, seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Op(ctx, 0, 2); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET /missing: %v, want a status error", err)
	}
	if got := h.MeanBytes(); got != 200 {
		t.Errorf("MeanBytes = %v, want 200 (100 and 300 weighted the same)", got)
	}
	h.ResetBytes()
	if got := h.MeanBytes(); got != 0 {
		t.Errorf("MeanBytes after reset = %v", got)
	}
	bad := NewHTTPGet(srv.URL, "wrong", 1, []string{"/a"})
	defer bad.Close()
	if err := bad.Op(ctx, 0, 0); err == nil {
		t.Error("a refused token is no error")
	}
}

func TestHTTPTableRatiosToTheEngineReference(t *testing.T) {
	run := func(server, catalog, route string, rps float64, cpu, db time.Duration) HTTPRun {
		return HTTPRun{Server: server, Catalog: catalog, Route: route, Result: Result{RPS: rps}, ServerCPUPerReq: cpu, DBCPUPerReq: db, MeanBytes: 461}
	}
	runs := []HTTPRun{
		run("reference-sqlite", "205 manga", RouteMangaByID, 10000, 40*time.Microsecond, 0),
		run("mangahub-sqlite", "205 manga", RouteMangaByID, 5000, 80*time.Microsecond, 0),
		run("mangahub-postgres", "205 manga", RouteMangaByID, 2000, 60*time.Microsecond, 60*time.Microsecond),
		run("reference-postgres", "205 manga", RouteMangaByID, 8000, 40*time.Microsecond, 0),
		run("mangahub-sqlite", "20,005 manga", RouteSearch, 100, 900*time.Microsecond, 0),
		run("reference", "20,005 manga", RouteSearch, 400, 300*time.Microsecond, 0),
	}
	var b strings.Builder
	WriteHTTPTable(&b, runs, "reference")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2+len(runs) {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	for i, want := range []string{
		"| 205 manga | `GET /api/manga/{id}` | mangahub-postgres |", // smaller catalog first, references last
		"| 205 manga | `GET /api/manga/{id}` | mangahub-sqlite |",
		"| 205 manga | `GET /api/manga/{id}` | reference-postgres |",
		"| 205 manga | `GET /api/manga/{id}` | reference-sqlite |",
		"| 20,005 manga | `GET /api/manga?q=word` | mangahub-sqlite |",
		"| 20,005 manga | `GET /api/manga?q=word` | reference |",
	} {
		if !strings.HasPrefix(lines[2+i], want) {
			t.Errorf("row %d = %s, want it to start %s", i, lines[2+i], want)
		}
	}
	var sum strings.Builder
	WriteHTTPSummary(&sum, runs, "reference")
	if got := strings.Count(sum.String(), "\n"); got != 2+3 {
		t.Errorf("summary has %d lines, want a header and 3 compared servers:\n%s", got, sum.String())
	}
	if want := "| 205 manga | `GET /api/manga/{id}` | mangahub-postgres | 2000 | 8000 | 0.25 | 3.00× | 0.000 | 461 / 461 |"; !strings.Contains(sum.String(), want) {
		t.Errorf("summary lacks %s:\n%s", want, sum.String())
	}
	// postgres: 2000/8000 req/s; (60+60)/40 CPU. sqlite: 5000/10000; 80/40.
	// The big catalog has only a plain "reference": 100/400; 900/300.
	for i, want := range []string{"| 0.25 | 3.00× |", "| 0.50 | 2.00× |", "|  |  |", "|  |  |", "| 0.25 | 3.00× |", "|  |  |"} {
		if !strings.HasSuffix(lines[2+i], want) {
			t.Errorf("row %d = %s, want it to end %s", i, lines[2+i], want)
		}
	}
}

// Clients start spread over the paths: 4 clients and 8 paths cover every
// path in two requests each.
func TestHTTPGetSpreadsClientsOverPaths(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.URL.Path)) }))
	t.Cleanup(srv.Close)
	paths := []string{"/0", "/1", "/2", "/3", "/4", "/5", "/6", "/7"}
	h := NewHTTPGet(srv.URL, "tok", 4, paths)
	defer h.Close()
	for c := range 4 {
		for seq := range 2 {
			if err := h.Op(t.Context(), c, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range paths {
		if n := h.bodies[i].Load(); n != 1 {
			t.Errorf("path %s requested %d times, want 1", paths[i], n)
		}
	}
}
