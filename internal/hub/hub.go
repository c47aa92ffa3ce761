// Package hub runs the sync protocol's conversations and keeps the live
// connections of every user, whatever the transport. It owns the connection
// state machine (greeting, authentication within a deadline, requests, the
// error and close rules, idle timeout, graceful shutdown) and the fan-out of
// progress events from the Bus to each user's other connections. It knows
// no sockets: tcpsync and ws hand it a Transport.
//
// Memory per idle connection is a design goal: a connection holds no buffer
// and no goroutine beyond its reader while idle, requests run on short-lived
// goroutines, writers start only when there is something to write, and a
// broadcast is encoded once and shared by all of its receivers.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/metrics"
	"github.com/mangahub/mangahub/internal/protocol"
)

// Defaults for zero Config fields.
const (
	DefaultMaxConnsPerUser = 20
	DefaultAuthTimeout     = 10 * time.Second
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultSendQueue       = 256
)

// requestTimeout bounds one request's calls into the services.
const requestTimeout = 15 * time.Second

// Config tunes a Hub; zero fields take the defaults above.
type Config struct {
	// InstanceID prefixes connection IDs and must be unique per process, so
	// that connection_id is unique across a cluster. Random when empty.
	InstanceID string
	// MaxConnsPerUser caps one user's live connections on this instance;
	// one more is answered too_many_connections and closed.
	MaxConnsPerUser int
	// AuthTimeout closes connections that have not authenticated in time.
	AuthTimeout time.Duration
	// IdleTimeout closes authenticated connections that have sent nothing
	// for that long.
	IdleTimeout time.Duration
	// SendQueue bounds a connection's outbound queue (messages); a client
	// that lets it fill is disconnected.
	SendQueue int
}

// Authenticator verifies access tokens (auth.Service). Errors with
// CodeInvalidToken become auth_failed, CodeTokenExpired token_expired.
type Authenticator interface {
	Authenticate(ctx context.Context, accessToken string) (mangahub.Identity, error)
}

// ProgressService holds every progress rule (progress.Service). The hub
// only translates between it and the protocol.
type ProgressService interface {
	Update(ctx context.Context, userID string, origin mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error)
	// Get returns CodeNotFound when there is no record; the reply is then
	// progress:null.
	Get(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error)
	// List with Limit ≤ 0 returns all of the user's records.
	List(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error)
	Delete(ctx context.Context, userID string, origin mangahub.Origin, mangaID int64) error
}

// Hub is the registry of live connections and runs their sessions.
type Hub struct {
	cfg      Config
	auth     Authenticator
	progress ProgressService
	bus      mangahub.Bus
	log      *slog.Logger
	metrics  *metrics.Metrics

	unsubscribe     func()
	unsubscribeOnce sync.Once

	seq    atomic.Uint64
	active atomic.Int64

	mu       sync.RWMutex
	users    map[string][]*session // authenticated sessions by user ID
	all      map[*session]struct{} // every live session, for Shutdown
	stopping bool
	sessions sync.WaitGroup
}

// New returns a Hub subscribed to bus. m may be nil in tests.
func New(cfg Config, auth Authenticator, progress ProgressService, bus mangahub.Bus, logger *slog.Logger, m *metrics.Metrics) *Hub {
	if cfg.MaxConnsPerUser <= 0 {
		cfg.MaxConnsPerUser = DefaultMaxConnsPerUser
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = DefaultAuthTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	if cfg.InstanceID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.InstanceID = hex.EncodeToString(b[:])
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = metrics.New()
	}
	h := &Hub{
		cfg: cfg, auth: auth, progress: progress, bus: bus, log: logger, metrics: m,
		users: make(map[string][]*session),
		all:   make(map[*session]struct{}),
	}
	h.unsubscribe = bus.Subscribe(h.onEvent)
	return h
}

// InstanceID names this instance (the prefix of its connection IDs).
func (h *Hub) InstanceID() string { return h.cfg.InstanceID }

// ConnectionsByUser counts the authenticated connections of each user.
func (h *Hub) ConnectionsByUser() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string]int, len(h.users))
	for u, conns := range h.users {
		out[u] = len(conns)
	}
	return out
}

// ActiveConnections is the number of open connections, authenticated or not.
func (h *Hub) ActiveConnections() int { return int(h.active.Load()) }

// Serve runs the protocol on t until the connection ends; transports call it
// on the goroutine that will read from t. It closes t before returning.
func (h *Hub) Serve(t Transport) {
	s := &session{h: h, t: t, id: h.cfg.InstanceID + "-" + strconv.FormatUint(h.seq.Add(1), 36), opened: time.Now().UnixNano()}
	if !h.admit(s) {
		// Arrived during shutdown: say so and go.
		_ = t.WriteMessages([][]byte{shutdownLine})
		t.Close(CloseGoingAway)
		return
	}
	defer h.release(s)
	s.run()
}

func (h *Hub) admit(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return false
	}
	h.all[s] = struct{}{}
	h.sessions.Add(1)
	h.active.Add(1)
	h.metrics.TCPActiveConnections.Inc()
	h.metrics.TCPConnectionsOpened.Inc()
	return true
}

func (h *Hub) release(s *session) {
	h.mu.Lock()
	delete(h.all, s)
	if s.authed {
		h.removeUserLocked(s)
	}
	h.mu.Unlock()
	if s.unwatch != nil {
		s.unwatch()
	}
	h.active.Add(-1)
	h.metrics.TCPActiveConnections.Dec()
	h.sessions.Done()
}

// register adds an authenticated session to its user's connections.
func (h *Hub) register(s *session) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return errStopping
	}
	conns := h.users[s.who.UserID]
	if len(conns) >= h.cfg.MaxConnsPerUser {
		return mangahub.Errorf(mangahub.CodeTooManyConnections, "at most %d connections per user", h.cfg.MaxConnsPerUser)
	}
	h.users[s.who.UserID] = append(conns, s)
	return nil
}

func (h *Hub) removeUserLocked(s *session) {
	conns := h.users[s.who.UserID]
	for i, c := range conns {
		if c == s {
			last := len(conns) - 1
			conns[i] = conns[last]
			conns[last] = nil
			conns = conns[:last]
			break
		}
	}
	if len(conns) == 0 {
		delete(h.users, s.who.UserID)
	} else {
		h.users[s.who.UserID] = conns
	}
}

// onEvent pushes a bus event to the user's connections except the one that
// made the change. It runs on the publisher's goroutine and never blocks:
// pushing only enqueues.
func (h *Hub) onEvent(ev mangahub.Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var line []byte
	for _, s := range h.users[ev.UserID] {
		if s.id == ev.Origin.ConnectionID {
			s.onEcho(ev) // its own change: ordered with its ack, not forwarded
			continue
		}
		if line == nil {
			msg := protocol.EventMessage(ev)
			if msg == nil {
				return
			}
			line = protocol.Marshal(msg) // once, shared by every receiver
		}
		if !s.holdBroadcast(line) {
			s.push(line)
		}
	}
}

// busReady reports whether the bus delivers events now; a bus that does not
// say is taken to.
func (h *Hub) busReady() bool {
	if r, ok := h.bus.(interface{ Ready() bool }); ok {
		return r.Ready()
	}
	return true
}

// Shutdown sends shutdown to every connection, lets requests in flight be
// answered first, and closes them all. New connections are turned away. When
// ctx ends first, the remaining connections are dropped and ctx's error is
// returned.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.stopping = true
	live := make([]*session, 0, len(h.all))
	for s := range h.all {
		live = append(live, s)
	}
	h.mu.Unlock()
	defer h.unsubscribeOnce.Do(h.unsubscribe)

	for _, s := range live {
		s.shutdown()
	}
	done := make(chan struct{})
	go func() {
		h.sessions.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	h.mu.RLock()
	for s := range h.all {
		s.t.CloseNow()
	}
	h.mu.RUnlock()
	// Dropped connections end at once; wait briefly so that the caller
	// closes the stores after the sessions, not under them.
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	return ctx.Err()
}
