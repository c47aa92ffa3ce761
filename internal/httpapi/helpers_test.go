package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// response is what a test looks at of an answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// problemBody is the RFC 9457 body every error carries.
type problemBody struct {
	Type         string          `json:"type"`
	Title        string          `json:"title"`
	Status       int             `json:"status"`
	Detail       string          `json:"detail"`
	Code         string          `json:"code"`
	Progress     json.RawMessage `json:"progress"`
	RetryAfterMS int64           `json:"retry_after_ms"`
}

// request describes one call; zero fields are left out.
type request struct {
	method string
	path   string
	token  string
	// body is sent as is when a string or []byte, as JSON otherwise.
	body   any
	remote string
	header map[string]string
}

// send runs r through h and returns the answer.
func send(t testing.TB, h http.Handler, r request) response {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	case io.Reader:
		body = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal body: %v", err)
		}
		body = bytes.NewReader(data)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// decode unmarshals the body into v, failing the test on garbage.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// wantStatus fails the test unless the answer has status.
func (r response) wantStatus(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// wantProblem checks an error answer: status, code, problem+json and a
// body that leaks nothing internal. It returns the decoded problem.
func (r response) wantProblem(t testing.TB, status int, code string) problemBody {
	t.Helper()
	r.wantStatus(t, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problemBody
	r.decode(t, &p)
	if p.Code != code {
		t.Errorf("code = %q, want %q; body: %s", p.Code, code, r.Body)
	}
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" {
		t.Errorf("incomplete problem: %s", r.Body)
	}
	noLeaks(t, r.Body)
	return p
}

// leakMarkers must never reach a client: SQL, driver names, Go stacks.
var leakMarkers = []string{"SQL", "sqlite", "pq:", "goroutine ", ".go:", "panic", "runtime.", "Go struct", "Go value"}

func noLeaks(t testing.TB, body []byte) {
	t.Helper()
	for _, m := range leakMarkers {
		if bytes.Contains(body, []byte(m)) {
			t.Errorf("body leaks %q: %s", m, body)
		}
	}
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// counterValue reads one counter series.
func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return m.GetCounter().GetValue()
}
