// Package ws is the WebSocket transport of the sync protocol (GET /ws on the
// HTTP address): one JSON object per text message, the same messages and the
// same rules as TCP, because the conversation itself is the hub's.
package ws

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"

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
	// OriginPatterns lists other origins whose browser pages may connect
	// (see websocket.AcceptOptions). Same-origin pages and clients that send
	// no Origin header are always accepted.
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

// ServeHTTP upgrades the request and serves the connection until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &hijackRecorder{ResponseWriter: w}
	c, err := websocket.Accept(rec, r, &websocket.AcceptOptions{OriginPatterns: h.cfg.OriginPatterns})
	if err != nil {
		// Accept has answered with an HTTP error already.
		h.log.Debug("WebSocket upgrade refused", "remote_addr", r.RemoteAddr, "err", err)
		return
	}
	if rec.conn == nil {
		h.log.Error("WebSocket upgrade did not hijack through the recorder", "remote_addr", r.RemoteAddr)
		_ = c.CloseNow()
		return
	}
	// The size limit is enforced by the transport, which can then answer
	// message_too_large before closing; the library would only close.
	c.SetReadLimit(-1)
	h.hub.Serve(&transport{c: c, raw: rec.conn, remote: r.RemoteAddr, max: h.cfg.MaxMessageBytes, writeTimeout: h.cfg.WriteTimeout})
}

// hijackRecorder keeps the connection that websocket.Accept hijacks. The
// transport sets read deadlines on it directly: the library's own timeouts
// (a context on Read) close the connection when they fire, which would leave
// no way to tell the client why.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (w *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.conn = c
	return c, brw, err
}

func (w *hijackRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
