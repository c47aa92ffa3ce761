package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/httpapi"
)

func TestInternalErrorsAreHiddenAndLoggedOnce(t *testing.T) {
	tests := []struct {
		name    string
		req     request
		status  int
		code    string
		route   string
		logged  string // a fragment of the logged cause
		stacked bool
	}{
		{
			name:   "driver error from a service",
			req:    request{method: http.MethodGet, path: "/api/manga?q=x", token: "user-token"},
			status: http.StatusInternalServerError, code: "internal", route: "/api/manga",
			logged: "SQL logic error",
		},
		{
			name: "plain error from a service",
			req: request{method: http.MethodPost, path: "/auth/register",
				body: map[string]string{"username": "alice", "email": "a@example.com", "password": "secret-password"}},
			status: http.StatusInternalServerError, code: "internal", route: "/auth/register",
			logged: "database is locked",
		},
		{
			name:   "dependency down",
			req:    request{method: http.MethodPost, path: "/auth/login", body: map[string]string{"username": "alice", "password": "x"}},
			status: http.StatusServiceUnavailable, code: "unavailable", route: "/auth/login",
			logged: "connection refused",
		},
		{
			name:   "panic in a handler",
			req:    request{method: http.MethodGet, path: "/api/me", token: "user-token"},
			status: http.StatusInternalServerError, code: "internal", route: "/api/me",
			logged: "boom: nil map", stacked: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFakeEnv(t)
			res := send(t, e.h, tt.req)
			p := res.wantProblem(t, tt.status, tt.code)
			if tt.status == http.StatusInternalServerError && p.Detail != "internal error" {
				t.Errorf("detail = %q, want %q", p.Detail, "internal error")
			}
			if bytes.Contains(res.Body, []byte(tt.logged)) {
				t.Errorf("body shows the cause: %s", res.Body)
			}
			id := res.Header.Get("X-Request-Id")
			if id == "" {
				t.Fatal("no X-Request-Id")
			}
			var mine []map[string]any
			for _, rec := range e.logs.lines(t) {
				if rec["request_id"] == id {
					mine = append(mine, rec)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("%d log records for the request, want exactly 1: %v", len(mine), mine)
			}
			rec := mine[0]
			if rec["level"] != "ERROR" || rec["route"] != tt.route || rec["status"] != float64(tt.status) {
				t.Errorf("log record = %v", rec)
			}
			if cause, _ := rec["err"].(string); !strings.Contains(cause, tt.logged) {
				t.Errorf("logged err = %q, want it to contain %q", cause, tt.logged)
			}
			if _, ok := rec["stack"]; ok != tt.stacked {
				t.Errorf("stack logged = %v, want %v", ok, tt.stacked)
			}
			if tt.req.token != "" && rec["user_id"] == nil {
				t.Errorf("user_id missing from %v", rec)
			}
		})
	}
}

func TestStatusOfEveryCode(t *testing.T) {
	want := map[mangahub.ErrorCode]int{
		mangahub.CodeValidation:         422,
		mangahub.CodeInvalidJSON:        400,
		mangahub.CodeUnauthenticated:    401,
		mangahub.CodeInvalidCredentials: 401,
		mangahub.CodeInvalidToken:       401,
		mangahub.CodeTokenExpired:       401,
		mangahub.CodeForbidden:          403,
		mangahub.CodeNotFound:           404,
		mangahub.CodeMangaNotFound:      404,
		mangahub.CodeUsernameTaken:      409,
		mangahub.CodeEmailTaken:         409,
		mangahub.CodeConflict:           409,
		mangahub.CodeMessageTooLarge:    413,
		mangahub.CodeRateLimited:        429,
		mangahub.CodeUnavailable:        503,
		mangahub.CodeInternal:           500,
		"no_such_code":                  500,
	}
	for code, status := range want {
		if got := httpapi.StatusOf(code); got != status {
			t.Errorf("StatusOf(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestServiceErrorBodies(t *testing.T) {
	e := newFakeEnv(t)

	// rate_limited: Retry-After rounds up to whole seconds.
	res := send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: "user-token", body: `{"manga_id": 429, "chapter": 1}`})
	p := res.wantProblem(t, http.StatusTooManyRequests, "rate_limited")
	if res.Header.Get("Retry-After") != "2" || p.RetryAfterMS != 1500 {
		t.Errorf("Retry-After = %q, retry_after_ms = %d; want 2 and 1500", res.Header.Get("Retry-After"), p.RetryAfterMS)
	}

	// A conflict without a stored record still carries "progress": null.
	res = send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: "user-token", body: `{"manga_id": 7, "chapter": 1}`})
	res.wantProblem(t, http.StatusConflict, "conflict")
	if !bytes.Contains(res.Body, []byte(`"progress":null`)) {
		t.Errorf("conflict body = %s", res.Body)
	}
	// Other problems have no "progress" member at all.
	res = send(t, e.h, request{method: http.MethodGet, path: "/api/manga/5", token: "user-token"})
	res.wantProblem(t, http.StatusNotFound, "not_found")
	if bytes.Contains(res.Body, []byte(`"progress"`)) || bytes.Contains(res.Body, []byte(`retry_after_ms`)) {
		t.Errorf("not_found body = %s", res.Body)
	}

	// Readiness is answered with 503 when the service cannot serve.
	res = send(t, e.h, request{method: http.MethodGet, path: "/readyz"}).wantStatus(t, http.StatusServiceUnavailable)
	if !bytes.Contains(res.Body, []byte(`"status":"unavailable"`)) {
		t.Errorf("readyz body = %s", res.Body)
	}
}

type validationBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestValidationReportsEveryProblem: one answer names every problem of the
// input, in plain words, whichever layer found them.
func TestValidationReportsEveryProblem(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Monster"})
	tests := []struct {
		name string
		req  request
		want []string // "field: message", in order
	}{
		{"register", request{method: http.MethodPost, path: "/auth/register",
			body: `{"username":"ab","email":"bad","password":"short"}`},
			[]string{"username: must be at least 3 characters", "email: must contain exactly one '@'", "password: must be at least 8 bytes"}},
		{"progress update", request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
			body: `{"manga_id":0,"chapter":-1,"status":"binging","expected_version":-2}`},
			[]string{"manga_id: must be at least 1", "chapter: must be at least 0",
				"status: must be one of reading, completed, plan_to_read, on_hold, dropped, re_reading", "expected_version: must be at least 0"}},
		{"manga create", request{method: http.MethodPost, path: "/api/manga", token: e.adminToken,
			body: `{"title":" ","author":"","status":"paused","year":1066,"cover_url":"javascript:alert(1)"}`},
			[]string{"title: is required", "author: is required", "status: must be one of ongoing, completed, hiatus, cancelled",
				"year: must be between 1900 and 2100, or null", "cover_url: must be an http or https URL"}},
		{"manga update", request{method: http.MethodPut, path: mangaPath(m.ID), token: e.adminToken,
			body: `{"slug":"Not A Slug","total_chapters":-1,"alt_titles":["ok",""]}`},
			[]string{"alt_titles[1]: is required", "slug: must be lower-case letters a-z and digits in words joined by single hyphens",
				"total_chapters: must be between 0 and 100000, or null"}},
		{"query parameters", request{method: http.MethodGet, path: "/api/manga?limit=0&offset=-1&sort=newest", token: e.userToken},
			[]string{"sort: must be one of title, -updated_at, year, -year, relevance",
				"limit: must be at least 1", "offset: must be at least 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := send(t, e.h, tt.req)
			res.wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
			if bytes.Contains(res.Body, []byte(`\u00`)) {
				t.Errorf("escaped characters in %s", res.Body)
			}
			var b validationBody
			res.decode(t, &b)
			var got []string
			for _, p := range b.Errors {
				got = append(got, p.Field+": "+p.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tt.want, "\n "))
			}
			if b.Detail != strings.Join(tt.want, "; ") {
				t.Errorf("detail = %q", b.Detail)
			}
		})
	}
}
