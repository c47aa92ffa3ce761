// Package web is MangaHub's web page (CONTRACT.md §5): plain HTML, CSS and
// JavaScript modules embedded in the binary, with no build step and no
// request to any other site. The page speaks only the public contract: the
// JSON API with a bearer token kept in memory, the refresh cookie the server
// sets on login, and the WebSocket sync protocol of docs/protocol.md.
//
// Handler serves GET / (the page) and GET /assets/* (its files); the HTTP
// transport mounts it. Every answer carries a strict Content-Security-Policy:
// scripts, styles and connections from this origin only, nothing inline, no
// framing.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// file is one embedded file, ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes is set here rather than taken from the system's MIME table,
// which differs between machines (and must say text/javascript for modules).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// Handler serves the page at / and its files at /assets/NAME.
func Handler() http.Handler {
	files := map[string]*file{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[strings.TrimPrefix(p, "static")] = &file{
			body:        b,
			contentType: contentTypes[path.Ext(p)],
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("web: embedded files: " + err.Error()) // cannot happen: they are compiled in
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header(), r.Host)
		name := r.URL.Path
		switch {
		case name == "/":
			name = "/index.html"
		case !strings.HasPrefix(name, "/assets/"):
			name = "" // the page has one address
		}
		f, ok := files[name]
		if !ok || f.contentType == "" {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("ETag", f.etag)
		// Names carry no version, so always ask whether a file changed; the
		// ETag makes that a 304.
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}

// securityHeaders are sent with every answer of the page.
func securityHeaders(h http.Header, host string) {
	connect := "'self'"
	if plainHost(host) {
		// 'self' covers ws: and wss: of this origin in CSP Level 3; older
		// browsers need them spelled out.
		connect += " ws://" + host + " wss://" + host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src "+connect+"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// plainHost accepts a Host header made only of what a host name, an IP
// address (v6 in brackets) and a port may contain, so that it cannot widen
// or break the policy it is written into.
func plainHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
