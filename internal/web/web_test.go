package web_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mangahub/mangahub/internal/web"
)

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	h := web.Handler()
	for _, tt := range []struct {
		path, contentType string
	}{
		{"/", "text/html; charset=utf-8"},
		{"/assets/app.js", "text/javascript; charset=utf-8"},
		{"/assets/style.css", "text/css; charset=utf-8"},
		{"/assets/icon.svg", "image/svg+xml"},
	} {
		rec := get(t, h, tt.path, nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tt.contentType {
			t.Errorf("GET %s: %d %q, want 200 %q", tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.contentType)
		}
		// Unchanged files are not sent again.
		etag := rec.Header().Get("ETag")
		if again := get(t, h, tt.path, map[string]string{"If-None-Match": etag}); etag == "" || again.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %q: %d, want 304", tt.path, etag, again.Code)
		}
	}
	for _, path := range []string{"/assets/nope.js", "/index.html", "/assets/", "/web.go"} {
		if rec := get(t, h, path, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := web.Handler()
	rec := get(t, h, "/", nil)
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
		"object-src 'none'", "base-uri 'none'", "connect-src 'self' ws://example.com wss://example.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows something unsafe: %q", csp)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	// A Host header that is not a plain host cannot reach the policy.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "evil.example; script-src *"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "evil") || !strings.Contains(csp, "connect-src 'self';") {
		t.Errorf("CSP with a strange Host = %q", csp)
	}
}

// The page must work under its own policy: no inline script or style, no
// markup built from strings, nothing loaded from another site.
func TestNoInlineCodeOrThirdParties(t *testing.T) {
	inlineScript := regexp.MustCompile(`<script(?:\s+[^>]*)?>\s*[^<\s]`)
	for _, check := range []struct {
		name string
		re   *regexp.Regexp
		ext  string
	}{
		{"inline script", inlineScript, ".html"},
		{"inline style", regexp.MustCompile(`<style|\sstyle=|\son[a-z]+=`), ".html"},
		{"innerHTML", regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`), ".js"},
		{"another site", regexp.MustCompile(`(?:src|href)=["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import`), ""},
	} {
		err := filepath.WalkDir("static", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (check.ext != "" && filepath.Ext(path) != check.ext) {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if loc := check.re.FindIndex(b); loc != nil {
				t.Errorf("%s: %s at %q", path, check.name, b[loc[0]:min(loc[1]+20, len(b))])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
