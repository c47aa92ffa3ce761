package hub

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/protocol"
)

var (
	errStopping  = errors.New("hub: shutting down")
	shutdownLine = protocol.Marshal(protocol.NewShutdown("server is shutting down; reconnect later"))
)

// session is one connection's conversation. Its reader goroutine (the one
// that called Hub.Serve) reads and dispatches one message at a time; what it
// sends goes through the outbox (outbox.go).
type session struct {
	h      *Hub
	t      Transport
	id     string
	opened int64 // Unix nanoseconds; for the log line of its end

	// who and authed are written by the handler of the auth message before
	// the session is registered, and only read afterwards.
	who     mangahub.Identity
	authed  bool
	unwatch func() // ends the bus watch of who, nil when none

	mu       sync.Mutex
	queue    [][]byte // outbound, bounded by Config.SendQueue
	flushing bool     // a goroutine is writing the queue out
	closing  bool     // a farewell is queued; the writer closes after it
	closed   bool     // the transport is closed or being closed
	busy     bool     // a request is being handled
	stopping bool     // Hub.Shutdown has reached this session
	reason   CloseReason
	echo     echoState      // orders this connection's acks among its broadcasts
	writers  sync.WaitGroup // writer goroutines (see enqueue)
}

// run is the connection state machine: greeting, then messages until the
// connection ends. The deadline is the auth timeout until auth_ok (it is not
// extended by anything), then the idle timeout from the last message.
func (s *session) run() {
	// The greeting goes out on a writer goroutine, not this one: writing
	// grows a stack past the 2 KiB that waiting needs, and this goroutine
	// waits for the rest of the connection's life.
	s.push(protocol.Greeting)
	deadline := time.Now().Add(s.h.cfg.AuthTimeout)
	for {
		msg, err := s.t.ReadMessage(deadline)
		if err != nil {
			s.readFailed(err)
			break
		}
		if !s.begin() {
			break // shutting down: the request is dropped unanswered
		}
		s.dispatch(msg)
		if !s.done() {
			break
		}
		if s.authed {
			deadline = time.Now().Add(s.h.cfg.IdleTimeout)
		}
	}
	s.end()
}

// readFailed turns a read error into the contract's last words. When the
// session is already closing (shutdown, slow client) the farewell is
// already queued and fail does nothing.
func (s *session) readFailed(err error) {
	switch {
	case errors.Is(err, ErrReadTimeout) && s.authed:
		s.fail(protocol.Error{Type: protocol.TypeError, Code: protocol.CodeIdleTimeout,
			Message: "no message for " + s.h.cfg.IdleTimeout.String() + "; closing"}, ClosePolicy)
	case errors.Is(err, ErrReadTimeout):
		s.fail(protocol.Error{Type: protocol.TypeError, Code: mangahub.CodeUnauthenticated,
			Message: "not authenticated within " + s.h.cfg.AuthTimeout.String() + "; closing"}, ClosePolicy)
	case errors.Is(err, ErrMessageTooLarge):
		s.fail(protocol.Error{Type: protocol.TypeError, Code: mangahub.CodeMessageTooLarge,
			Message: "message exceeds " + strconv.Itoa(protocol.MaxMessageBytes) + " bytes; closing"}, CloseTooLarge)
	}
}

// dispatch handles msg on a goroutine of its own and waits for it. Handling
// (JWT verification, database calls) needs a deep stack; a goroutine that
// exits gives its stack back, while the reader, which then waits for
// minutes, keeps the small stack that waiting needs. For idle connections
// that is most of their memory.
func (s *session) dispatch(msg []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.recoverPanic()
		s.handle(msg)
	}()
	<-done
}

func (s *session) recoverPanic() {
	if v := recover(); v != nil {
		s.h.log.Error("sync request panicked", "connection_id", s.id, "user_id", s.who.UserID,
			"panic", v, "stack", string(debug.Stack()))
		s.fail(protocol.NewError("", mangahub.Internal(nil)), CloseInternal)
	}
}

// end closes the connection unless a farewell is on its way (the writer
// closes after it), and waits for the writer.
func (s *session) end() {
	s.mu.Lock()
	now := !s.closing && !s.closed
	if now {
		s.closed = true
	}
	s.mu.Unlock()
	if now {
		s.t.CloseNow()
	}
	s.writers.Wait()
	s.mu.Lock()
	status := "client_closed"
	if s.closing {
		status = s.reason.String()
	}
	s.mu.Unlock()
	// One line per connection, as per HTTP request: connections close far
	// less often than requests run.
	s.h.log.LogAttrs(context.Background(), slog.LevelInfo, "sync connection closed",
		slog.String("operation", "sync_connection"), slog.String("connection_id", s.id),
		slog.String("user_id", s.who.UserID), slog.String("transport", string(s.t.Source())),
		slog.Float64("latency_ms", float64(time.Since(time.Unix(0, s.opened)).Microseconds())/1000),
		slog.String("status", status))
}

// begin marks a request in flight, unless the hub is shutting down.
func (s *session) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.busy = true
	return true
}

// done ends a request. If shutdown came while it ran, its answer is already
// queued, so the shutdown message follows it and the connection closes. It
// reports whether the session goes on.
func (s *session) done() bool {
	s.mu.Lock()
	s.busy = false
	stopping, over := s.stopping, s.closing || s.closed
	s.mu.Unlock()
	if stopping {
		s.finish(shutdownLine, CloseGoingAway, true)
		return false
	}
	return !over
}

// shutdown is Hub.Shutdown's part for this session. An idle session gets
// the shutdown message now; a busy one when its request is answered (done).
func (s *session) shutdown() {
	s.mu.Lock()
	s.stopping = true
	busy := s.busy
	s.mu.Unlock()
	if !busy {
		s.finish(shutdownLine, CloseGoingAway, false)
	}
}
