// Package ws is the WebSocket transport of the sync protocol (GET /ws on the
// HTTP address): one JSON object per text message, the same messages and the
// same rules as TCP, because the conversation itself is the hub's.
//
// An idle WebSocket connection costs what an idle TCP one does: no read or
// write buffer and one goroutine with a small stack, parked until the socket
// is readable (see input.go). Frames are read and written with
// github.com/gobwas/ws, a low-level library made for that technique;
// permessage-deflate is not offered, because a compressor and decompressor
// per connection would cost more memory than all the rest of it.
package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// DefaultWriteTimeout is how long a client may take to accept a batch of
// messages before it is dropped as too slow.
const DefaultWriteTimeout = 10 * time.Second

// Config tunes a Handler; zero fields take defaults.
type Config struct {
	// MaxMessageBytes is the largest message accepted
	// (protocol.MaxMessageBytes, 64 KiB, by default).
	MaxMessageBytes int
	// WriteTimeout bounds each write to a client (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// OriginPatterns lists other origins whose browser pages may connect.
	// Same-origin pages (Origin's host equal to the request's Host) and
	// clients that send no Origin header are always accepted. A pattern is
	// matched with path.Match, case-insensitively, against the Origin's host
	// ("*.example.com"), or against scheme://host when it contains "://".
	OriginPatterns []string
}

// Handler upgrades GET /ws and hands the connection to the hub.
type Handler struct {
	hub *hub.Hub
	cfg Config
	log *slog.Logger
}

// NewHandler returns the /ws handler.
func NewHandler(h *hub.Hub, cfg Config, logger *slog.Logger) *Handler {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = protocol.MaxMessageBytes
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{hub: h, cfg: cfg, log: logger}
}

// ServeHTTP upgrades the request and hands the connection to the hub.
//
// The opening handshake is answered through net/http (WriteHeader(101), then
// Hijack) rather than by an upgrader that hijacks first and writes its own
// response: that way the access log and metrics middleware see the 101, or
// the refusal's status, like any other response.
//
// The connection is then served on a goroutine of its own and ServeHTTP
// returns: net/http's connection goroutine has grown a deep stack parsing
// the request and running the middleware, and the goroutine that waits for
// the client's next message waits for as long as the connection lives.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, status, err := checkHandshake(w.Header(), r)
	if err == nil {
		status, err = http.StatusForbidden, checkOrigin(r, h.cfg.OriginPatterns)
	}
	if err != nil {
		h.log.Debug("WebSocket upgrade refused", "remote_addr", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	hdr := w.Header()
	hdr.Set("Upgrade", "websocket")
	hdr.Set("Connection", "Upgrade")
	hdr.Set("Sec-WebSocket-Accept", acceptKey(key))
	w.WriteHeader(http.StatusSwitchingProtocols)
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		h.log.Error("WebSocket upgrade could not take over the connection", "remote_addr", r.RemoteAddr, "err", err)
		return
	}
	// Hijack flushed the 101. Deadlines the HTTP server set no longer apply:
	// the transport sets its own on every read and write.
	_ = conn.SetDeadline(time.Time{})
	var early []byte // frames the client sent right behind its request
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
	}
	t := newTransport(conn, early, h.cfg.MaxMessageBytes, h.cfg.WriteTimeout)
	go h.hub.Serve(t)
}

// checkHandshake checks an opening handshake (RFC 6455 §4.2.1) and returns
// its key, or the status to refuse it with; it may add response headers
// that go with the refusal.
func checkHandshake(respHeader http.Header, r *http.Request) (key string, status int, err error) {
	switch {
	case r.ProtoMajor != 1 || r.ProtoMinor < 1:
		return "", http.StatusUpgradeRequired, fmt.Errorf("WebSocket handshake must be HTTP/1.1, not %s", r.Proto)
	case !hasToken(r.Header, "Connection", "upgrade"), !hasToken(r.Header, "Upgrade", "websocket"):
		respHeader.Set("Connection", "Upgrade")
		respHeader.Set("Upgrade", "websocket")
		return "", http.StatusUpgradeRequired, errors.New("this is a WebSocket endpoint: send Connection: Upgrade and Upgrade: websocket")
	case r.Method != http.MethodGet:
		return "", http.StatusMethodNotAllowed, fmt.Errorf("WebSocket handshake must be GET, not %s", r.Method)
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		respHeader.Set("Sec-WebSocket-Version", "13")
		return "", http.StatusBadRequest, fmt.Errorf("unsupported Sec-WebSocket-Version %q: only 13 is supported", r.Header.Get("Sec-WebSocket-Version"))
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return "", http.StatusBadRequest, errors.New("the handshake needs exactly one Sec-WebSocket-Key")
	}
	key = strings.TrimSpace(keys[0])
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return "", http.StatusBadRequest, errors.New("Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return key, 0, nil
}

// hasToken reports whether the comma-separated values of header name
// include token, case-insensitively.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// acceptGUID is the constant RFC 6455 §1.3 appends to the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey is the Sec-WebSocket-Accept answer to key (RFC 6455 §4.2.2).
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checkOrigin lets a browser page connect only from the server's own origin
// or one that patterns allow. Clients without an Origin header (anything
// but a browser) are not subject to it.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the Origin header %q is not a URL with a host", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		ok, err := path.Match(strings.ToLower(p), strings.ToLower(target))
		if err != nil {
			return fmt.Errorf("origin pattern %q is malformed", p)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("pages from %q may not connect to %q", u.Host, r.Host)
}
