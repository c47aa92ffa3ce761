package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mangahub/mangahub/internal/httpapi"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := send(t, e.h, request{method: http.MethodGet, path: "/healthz"}).wantStatus(t, http.StatusOK)
	if got := string(bytes.TrimSpace(res.Body)); got != `{"status":"ok"}` {
		t.Errorf("healthz = %s", got)
	}
	res = send(t, e.h, request{method: http.MethodGet, path: "/readyz"}).wantStatus(t, http.StatusOK)
	if got := string(bytes.TrimSpace(res.Body)); got != `{"status":"ok","components":{}}` {
		t.Errorf("readyz without a Ready func = %s", got)
	}

	for _, tt := range []struct {
		status string
		code   int
	}{{"ok", 200}, {"degraded", 200}, {"unavailable", 503}} {
		t.Run(tt.status, func(t *testing.T) {
			h := httpapi.New(httpapi.Deps{Ready: func(context.Context) httpapi.Readiness {
				return httpapi.Readiness{Status: tt.status, Components: map[string]any{
					"database": map[string]any{"status": tt.status},
					"tcp":      map[string]any{"status": "ok", "active_connections": 3},
				}}
			}})
			var body struct {
				Status     string
				Components map[string]map[string]any
			}
			send(t, h, request{method: http.MethodGet, path: "/readyz"}).wantStatus(t, tt.code).decode(t, &body)
			if body.Status != tt.status || body.Components["database"]["status"] != tt.status ||
				body.Components["tcp"]["active_connections"] != float64(3) {
				t.Errorf("readyz body = %+v", body)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Blame!"})
	e.get(t, mangaPath(m.ID)).wantStatus(t, http.StatusOK)
	e.get(t, mangaPath(m.ID+1000)).wantStatus(t, http.StatusNotFound)
	send(t, e.h, request{method: http.MethodGet, path: "/no/such/route/12345"}).wantStatus(t, http.StatusNotFound)
	send(t, e.h, request{method: "BREW", path: "/healthz"}).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
	send(t, e.h, request{method: http.MethodGet, path: "/api/me"}).wantStatus(t, http.StatusUnauthorized)

	res := send(t, e.h, request{method: http.MethodGet, path: "/metrics"}).wantStatus(t, http.StatusOK)
	text := string(res.Body)
	for _, want := range []string{
		`mangahub_http_request_duration_seconds_count{method="GET",route="/api/manga/{id}",status="200"} 1`,
		`mangahub_http_request_duration_seconds_count{method="GET",route="/api/manga/{id}",status="404"} 1`,
		`mangahub_http_request_duration_seconds_count{method="POST",route="/api/manga",status="201"} 1`,
		`mangahub_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
		`mangahub_http_request_duration_seconds_count{method="OTHER",`,
		`mangahub_auth_failures_total{transport="http"} 1`,
		`mangahub_rate_limited_total{transport="http"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, raw := range []string{`route="/api/manga/1"`, "12345", `method="BREW"`} {
		if strings.Contains(text, raw) {
			t.Errorf("metrics carry a raw, unbounded label: %s", raw)
		}
	}
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	e := newFakeEnv(t)
	res := send(t, e.h, request{method: http.MethodGet, path: "/openapi.json"}).wantStatus(t, http.StatusOK)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string }
			Schemas         map[string]json.RawMessage
		}
	}
	res.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme = %+v", s)
	}
	if _, ok := doc.Components.Schemas["Problem"]; !ok {
		t.Error("no Problem schema")
	}
	routes := []struct {
		method, path string
		secured      bool
	}{
		{"post", "/auth/register", false}, {"post", "/auth/login", false}, {"post", "/auth/refresh", false},
		{"post", "/auth/logout", false}, {"get", "/api/me", true},
		{"get", "/api/manga", true}, {"get", "/api/manga/search", true}, {"get", "/api/manga/{id}", true},
		{"post", "/api/manga", true}, {"put", "/api/manga/{id}", true}, {"delete", "/api/manga/{id}", true},
		{"get", "/api/genres", true}, {"post", "/api/genres", true}, {"get", "/api/genres/{id}/manga", true},
		{"get", "/api/progress", true}, {"get", "/api/progress/{manga_id}", true},
		{"post", "/api/progress", true}, {"delete", "/api/progress/{manga_id}", true},
		{"get", "/api/admin/connections", true},
		{"get", "/healthz", false}, {"get", "/readyz", false}, {"get", "/metrics", false}, {"get", "/ws", false},
	}
	n := 0
	for _, item := range doc.Paths {
		n += len(item)
	}
	if n != len(routes) {
		t.Errorf("document has %d operations, want %d", n, len(routes))
	}
	for _, r := range routes {
		raw, ok := doc.Paths[r.path][r.method]
		if !ok {
			t.Errorf("%s %s missing", r.method, r.path)
			continue
		}
		var op struct {
			Security  []map[string][]string
			Responses map[string]struct {
				Headers map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		if secured := len(op.Security) == 1 && op.Security[0]["bearer"] != nil; secured != r.secured {
			t.Errorf("%s %s: bearer security = %v, want %v", r.method, r.path, secured, r.secured)
		}
		if r.secured {
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s %s does not document 401", r.method, r.path)
			}
		}
		// Every API route may answer a wrong method and an outage.
		if strings.HasPrefix(r.path, "/api/") || strings.HasPrefix(r.path, "/auth/") {
			for _, code := range []string{"405", "503"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s %s does not document %s", r.method, r.path, code)
				}
			}
			if _, ok := op.Responses["405"].Headers["Allow"]; !ok {
				t.Errorf("%s %s: 405 without the Allow header", r.method, r.path)
			}
		}
		if res, ok := op.Responses["429"]; ok {
			if _, ok := res.Headers["Retry-After"]; !ok {
				t.Errorf("%s %s: 429 without the Retry-After header", r.method, r.path)
			}
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newFakeEnv(t)
	send(t, e.h, request{method: http.MethodGet, path: "/api/mangas"}).wantProblem(t, http.StatusNotFound, "not_found")
	send(t, e.h, request{method: http.MethodGet, path: "/"}).wantProblem(t, http.StatusNotFound, "not_found")
}

// TestWrongMethod: a route that exists answered with a method it does not
// take is 405 method_not_allowed with the Allow header, not a not_found.
func TestWrongMethod(t *testing.T) {
	e := newFakeEnv(t)
	for _, tt := range []struct {
		method, path, allow string
	}{
		{http.MethodPatch, "/api/progress", "GET, POST"},
		{http.MethodOptions, "/api/manga", "GET, POST"},
		{http.MethodDelete, "/api/manga", "GET, POST"},
		{http.MethodPost, "/api/manga/7", "GET, PUT, DELETE"},
		{http.MethodPut, "/api/progress/7", "GET, DELETE"},
		{http.MethodPatch, "/healthz", "GET"},
		{"BREW", "/healthz", "GET"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// Without a token too: the method is wrong whoever asks.
			res := send(t, e.h, request{method: tt.method, path: tt.path})
			p := res.wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
			if got := res.Header.Values("Allow"); len(got) != 1 || got[0] != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if !strings.Contains(p.Detail, tt.method) || !strings.Contains(p.Detail, tt.allow) {
				t.Errorf("detail %q names neither the method nor what is allowed", p.Detail)
			}
		})
	}
}

func TestWebSocketMount(t *testing.T) {
	e := newFakeEnv(t)
	send(t, e.h, request{method: http.MethodGet, path: "/ws"}).wantStatus(t, http.StatusTeapot)
	// Without a WebSocket handler there is no /ws.
	h := httpapi.New(httpapi.Deps{})
	send(t, h, request{method: http.MethodGet, path: "/ws"}).wantProblem(t, http.StatusNotFound, "not_found")
}

func TestOpsOnly(t *testing.T) {
	h := httpapi.New(httpapi.Deps{
		OpsOnly:   true,
		WebSocket: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }),
	})
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		send(t, h, request{method: http.MethodGet, path: path}).wantStatus(t, http.StatusOK)
	}
	for _, req := range []request{
		{method: http.MethodGet, path: "/api/manga", token: "x"},
		{method: http.MethodPost, path: "/auth/login", body: `{"username": "a", "password": "b"}`},
		{method: http.MethodGet, path: "/ws"},
	} {
		send(t, h, req).wantProblem(t, http.StatusNotFound, "not_found")
	}
	var doc struct{ Paths map[string]any }
	send(t, h, request{method: http.MethodGet, path: "/openapi.json"}).decode(t, &doc)
	if len(doc.Paths) != 3 || doc.Paths["/healthz"] == nil || doc.Paths["/readyz"] == nil || doc.Paths["/metrics"] == nil {
		t.Errorf("ops-only document paths = %v", doc.Paths)
	}
}

// TestMetricsBeforeTraffic: the first scrape of a fresh process already
// lists every metric CONTRACT.md §2 names, so that dashboards and alerts
// see zeros rather than nothing. (HTTP request durations are the exception:
// their series are per route and status, and exist once a request was
// served.)
func TestMetricsBeforeTraffic(t *testing.T) {
	e := newEnv(t, envOptions{})
	res := send(t, e.h, request{method: http.MethodGet, path: "/metrics"}).wantStatus(t, http.StatusOK)
	text := string(res.Body)
	for _, want := range []string{
		"mangahub_tcp_active_connections 0",
		`mangahub_progress_updates_total{result="applied",source="http"} 0`,
		`mangahub_progress_updates_total{result="applied",source="tcp"} 0`,
		`mangahub_progress_updates_total{result="applied",source="ws"} 0`,
		`mangahub_progress_updates_total{result="rate_limited",source="tcp"} 0`,
		`mangahub_cache_requests_total{result="hit"} 0`,
		"mangahub_flush_duration_seconds_count 0",
		"mangahub_flush_rows_total 0",
		"mangahub_write_behind_pending 0",
		`mangahub_auth_failures_total{transport="tcp"} 0`,
		`mangahub_rate_limited_total{transport="ws"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("fresh metrics lack %s", want)
		}
	}
}
