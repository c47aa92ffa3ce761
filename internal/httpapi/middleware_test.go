package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestResponseHeaders(t *testing.T) {
	e := newFakeEnv(t)
	tests := []request{
		{method: http.MethodGet, path: "/healthz"},
		{method: http.MethodGet, path: "/api/manga/1", token: "user-token"},
		{method: http.MethodGet, path: "/api/manga/2", token: "user-token"}, // 404
		{method: http.MethodGet, path: "/nowhere"},
		{method: http.MethodOptions, path: "/api/manga"},
	}
	seen := map[string]bool{}
	for _, req := range tests {
		req.header = map[string]string{"Origin": "https://evil.example"}
		res := send(t, e.h, req)
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options = %q", req.method, req.path, got)
		}
		for name := range res.Header {
			if strings.HasPrefix(name, "Access-Control-") {
				t.Errorf("%s %s: CORS header %s", req.method, req.path, name)
			}
		}
		id := res.Header.Get("X-Request-Id")
		if id == "" || seen[id] {
			t.Errorf("%s %s: request id %q missing or reused", req.method, req.path, id)
		}
		seen[id] = true
	}

	for _, tt := range []struct {
		in   string
		keep bool
	}{
		{"abc-123_DEF.4", true},
		{"has space", false},
		{strings.Repeat("a", 65), false},
		{"<script>", false},
	} {
		res := send(t, e.h, request{method: http.MethodGet, path: "/healthz", header: map[string]string{"X-Request-Id": tt.in}})
		if got := res.Header.Get("X-Request-Id"); (got == tt.in) != tt.keep || got == "" {
			t.Errorf("incoming id %q answered with %q", tt.in, got)
		}
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Akira"})
	e.get(t, mangaPath(m.ID)).wantStatus(t, http.StatusOK)
	send(t, e.h, request{method: http.MethodPost, path: "/auth/login",
		body: map[string]string{"username": "reader", "password": testPassword}}).wantStatus(t, http.StatusOK)
	send(t, e.h, request{method: http.MethodPost, path: "/auth/login",
		body: map[string]string{"username": "reader", "password": "wrong-" + testPassword}}).wantStatus(t, http.StatusUnauthorized)

	recs := e.logs.lines(t)
	if len(recs) != 4 {
		t.Fatalf("%d log records for 4 requests: %v", len(recs), recs)
	}
	get := recs[1]
	for _, key := range []string{"request_id", "operation", "method", "route", "status", "latency_ms", "user_id"} {
		if _, ok := get[key]; !ok {
			t.Errorf("access log lacks %q: %v", key, get)
		}
	}
	if get["level"] != "INFO" || get["operation"] != "manga-get" || get["route"] != "/api/manga/{id}" ||
		get["user_id"] != e.user.ID || get["method"] != "GET" || get["status"] != float64(200) {
		t.Errorf("access log record = %v", get)
	}
	// A client's mistake is logged at info, not as a warning.
	if fail := recs[3]; fail["level"] != "INFO" || fail["operation"] != "auth-login" || fail["code"] != "invalid_credentials" || fail["status"] != float64(401) {
		t.Errorf("failed login record = %v", fail)
	}
	// Every other client error too; probes go to debug.
	send(t, e.h, request{method: http.MethodGet, path: "/api/nothing-here", token: e.userToken}).wantStatus(t, http.StatusNotFound)
	send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken, body: `{"manga_id":0,"chapter":1}`}).
		wantStatus(t, http.StatusUnprocessableEntity)
	send(t, e.h, request{method: http.MethodGet, path: "/healthz"}).wantStatus(t, http.StatusOK)
	recs = e.logs.lines(t)
	if len(recs) != 7 {
		t.Fatalf("%d log records for 7 requests: %v", len(recs), recs)
	}
	if r := recs[4]; r["level"] != "INFO" || r["status"] != float64(404) || r["operation"] != "GET unmatched" {
		t.Errorf("unknown route record = %v", r)
	}
	if r := recs[5]; r["level"] != "INFO" || r["status"] != float64(422) || r["operation"] != "progress-update" || r["user_id"] != e.user.ID {
		t.Errorf("validation failure record = %v", r)
	}
	if r := recs[6]; r["level"] != "DEBUG" || r["operation"] != "health" {
		t.Errorf("probe record = %v", r)
	}

	e.logs.mu.Lock()
	all := e.logs.buf.String()
	e.logs.mu.Unlock()
	for _, secret := range []string{testPassword, e.userToken, e.adminToken, "access_token", "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("log contains a secret (%.12s…)", secret)
		}
	}
}
