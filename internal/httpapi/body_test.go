package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// padTo returns a JSON object of exactly n bytes: obj padded with spaces.
func padTo(t *testing.T, obj string, n int) []byte {
	t.Helper()
	if len(obj) > n {
		t.Fatalf("object longer than %d", n)
	}
	return append([]byte(obj), bytes.Repeat([]byte(" "), n-len(obj))...)
}

// unsized hides the length of a body, so it is sent chunked.
type unsized struct{ r io.Reader }

func (u unsized) Read(p []byte) (int, error) { return u.r.Read(p) }

func TestRequestBodies(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Dorohedoro", "total_chapters": 167})
	valid := fmt.Sprintf(`{"manga_id": %d, "chapter": 1}`, m.ID)
	const mib = 1 << 20

	tests := []struct {
		name   string
		body   any
		ctype  string
		status int
		code   string // empty: success
	}{
		{"exactly 1 MiB is accepted", padTo(t, valid, mib), "", 200, ""},
		{"1 MiB + 1 with a length", padTo(t, valid, mib+1), "", 413, "message_too_large"},
		{"1 MiB + 1 chunked", unsized{bytes.NewReader(padTo(t, valid, mib+1))}, "", 413, "message_too_large"},
		{"10 MiB chunked", unsized{io.MultiReader(strings.NewReader(valid), strings.NewReader(strings.Repeat(" ", 10*mib)))}, "", 413, "message_too_large"},
		{"malformed JSON", `{"manga_id": 1, "chapter": `, "", 400, "invalid_json"},
		{"trailing garbage", valid + `}`, "", 400, "invalid_json"},
		{"not UTF-8", "\xff\xfe{}", "", 400, "invalid_json"},
		{"empty body", "", "", 400, "invalid_json"},
		{"plain text content type is read as JSON (curl -d)", valid, "text/plain", 200, ""},
		{"form content type is read as JSON (curl -d)", valid, "application/x-www-form-urlencoded", 200, ""},
		{"other content type", valid, "application/xml", 400, "invalid_json"},
		{"JSON null", `null`, "", 422, "validation_failed"},
		{"JSON array", `[1, 2]`, "", 422, "validation_failed"},
		{"wrong type", fmt.Sprintf(`{"manga_id": "%d", "chapter": 1}`, m.ID), "", 422, "validation_failed"},
		{"unknown fields are ignored", fmt.Sprintf(`{"manga_id": %d, "chapter": 2, "device": "kindle", "nested": {"a": [1]}}`, m.ID), "", 200, ""},
		{"content type with charset", valid, "application/json; charset=utf-8", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{method: http.MethodPost, path: "/api/progress", token: e.userToken, body: tt.body}
			if tt.ctype != "" {
				req.header = map[string]string{"Content-Type": tt.ctype}
			}
			res := send(t, e.h, req)
			if tt.code == "" {
				res.wantStatus(t, tt.status)
				return
			}
			p := res.wantProblem(t, tt.status, tt.code)
			if len(res.Body) > 2048 {
				t.Errorf("error body is %d bytes: the input is echoed", len(res.Body))
			}
			if tt.code == "validation_failed" && tt.name == "wrong type" && !strings.Contains(p.Detail, "manga_id") {
				t.Errorf("detail %q does not name manga_id", p.Detail)
			}
		})
	}

	// The same cap guards routes without authentication.
	res := send(t, e.h, request{method: http.MethodPost, path: "/auth/login", body: padTo(t, `{}`, mib+10)})
	res.wantProblem(t, http.StatusRequestEntityTooLarge, "message_too_large")
}
