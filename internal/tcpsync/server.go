// Package tcpsync is the TCP transport of the sync protocol: an accept loop
// and newline-delimited JSON framing. The conversation itself (handshake,
// requests, fan-out, timeouts, shutdown) is the hub's.
package tcpsync

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("tcpsync: server closed")

// DefaultWriteTimeout is how long a client may take to accept a batch of
// messages before it is dropped as too slow.
const DefaultWriteTimeout = 10 * time.Second

// Config tunes a Server; zero fields take defaults.
type Config struct {
	// MaxLineBytes is the longest line accepted, without its newline
	// (protocol.MaxMessageBytes, 64 KiB, by default).
	MaxLineBytes int
	// WriteTimeout bounds each write to a client (DefaultWriteTimeout).
	WriteTimeout time.Duration
}

// Server accepts TCP connections and hands each to the hub.
type Server struct {
	hub *hub.Hub
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	closed    bool
	done      chan struct{}
}

// NewServer returns a server for h.
func NewServer(h *hub.Hub, cfg Config, logger *slog.Logger) *Server {
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = protocol.MaxMessageBytes
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{hub: h, cfg: cfg, log: logger, listeners: make(map[net.Listener]struct{}), done: make(chan struct{})}
}

// Serve accepts connections on ln until Shutdown, then returns
// ErrServerClosed. Temporary accept errors (such as running out of file
// descriptors) are retried with a growing pause, as net/http does, instead
// of ending the server.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				pause = nextPause(pause)
				s.log.Warn("TCP accept failed; retrying", "err", err, "retry_in_ms", pause.Milliseconds())
				select {
				case <-time.After(pause):
				case <-s.done:
					return ErrServerClosed
				}
				continue
			}
			return err
		}
		pause = 0
		go s.hub.Serve(newConn(c, s.cfg))
	}
}

func nextPause(p time.Duration) time.Duration {
	if p == 0 {
		return 5 * time.Millisecond
	}
	if p *= 2; p > time.Second {
		p = time.Second
	}
	return p
}

// Shutdown stops accepting. The hub's Shutdown tells the connected clients
// and closes their connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		delete(s.listeners, ln)
	}
	return errors.Join(errs...)
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
