package ws

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
)

// closeTimeout bounds the close handshake.
const closeTimeout = 2 * time.Second

var messageBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// transport is a WebSocket connection as a hub.Transport.
type transport struct {
	c            *websocket.Conn
	raw          net.Conn // the hijacked connection under c
	remote       string
	max          int
	writeTimeout time.Duration

	mu      sync.Mutex // orders the read deadline against Close
	closing bool

	buf *[]byte // the last message returned; pooled, nil while waiting
}

var _ hub.Transport = (*transport)(nil)

func (t *transport) Source() mangahub.Source { return mangahub.SourceWS }

func (t *transport) RemoteAddr() string { return t.remote }

// ReadMessage reads the next data message, at most max bytes of it.
func (t *transport) ReadMessage(deadline time.Time) ([]byte, error) {
	t.releaseBuf()
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return nil, net.ErrClosed
	}
	err := t.raw.SetReadDeadline(deadline)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Binary messages are read like text ones: the content rules are the
	// same, and refusing them would help no one.
	_, r, err := t.c.Reader(context.Background())
	if err != nil {
		return nil, readError(err)
	}
	t.buf = messageBuffers.Get().(*[]byte)
	b := (*t.buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > t.max {
			*t.buf = b[:0]
			return nil, hub.ErrMessageTooLarge
		}
		if err == io.EOF {
			*t.buf = b
			return b, nil
		}
		if err != nil {
			*t.buf = b[:0]
			return nil, readError(err)
		}
	}
}

func (t *transport) releaseBuf() {
	if t.buf == nil {
		return
	}
	if cap(*t.buf) <= 64<<10 {
		*t.buf = (*t.buf)[:0]
		messageBuffers.Put(t.buf)
	}
	t.buf = nil
}

func readError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return hub.ErrReadTimeout
	}
	return err
}

// WriteMessages sends each message as a text message, without its newline.
func (t *transport) WriteMessages(msgs [][]byte) error {
	if err := t.raw.SetWriteDeadline(time.Now().Add(t.writeTimeout)); err != nil {
		return err
	}
	for _, m := range msgs {
		if n := len(m); n > 0 && m[n-1] == '\n' {
			m = m[:n-1]
		}
		if err := t.c.Write(context.Background(), websocket.MessageText, m); err != nil {
			return err
		}
	}
	return nil
}

// Close sends a close frame with a status for reason and waits, briefly, for
// the client's.
func (t *transport) Close(reason hub.CloseReason) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	// Bounds the library's wait for the client's close frame, and wakes a
	// reader blocked now.
	_ = t.raw.SetDeadline(time.Now().Add(closeTimeout))
	t.mu.Unlock()
	status, text := closeStatus(reason)
	_ = t.c.Close(status, text)
}

// CloseNow drops the connection.
func (t *transport) CloseNow() {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	_ = t.c.CloseNow()
}

func closeStatus(r hub.CloseReason) (websocket.StatusCode, string) {
	switch r {
	case hub.CloseGoingAway:
		return websocket.StatusGoingAway, "server shutting down"
	case hub.ClosePolicy:
		return websocket.StatusPolicyViolation, "see the last error message"
	case hub.CloseTooLarge:
		return websocket.StatusMessageTooBig, "message too large"
	case hub.CloseTryAgainLater:
		return websocket.StatusTryAgainLater, "try again later"
	case hub.CloseInternal:
		return websocket.StatusInternalError, "internal error"
	}
	return websocket.StatusNormalClosure, ""
}
