package tcpsync

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
)

// readChunk is the size of the pooled buffers lines are read into. Lines of
// the protocol are a few hundred bytes; longer ones grow a private buffer up
// to the line limit.
const readChunk = 4 << 10

// Lingering close: after the last message, stop writing, then read and
// discard what the client still sends, for a bounded time and amount, so
// that closing with unread input does not reset the connection before the
// client has read the last message.
const (
	lingerTimeout  = time.Second
	maxLingerBytes = 1 << 20
)

var chunks = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

// conn is a TCP connection as a hub.Transport: newline-delimited messages.
//
// While it waits for input it holds no buffer: on Unix it waits for the
// socket to become readable through syscall.RawConn and only then takes a
// pooled buffer to read into, and it returns the buffer as soon as every
// byte in it has been handed out. With thousands of idle clients that is
// the difference between a few hundred bytes and several KiB per client.
type conn struct {
	c            net.Conn
	max          int
	writeTimeout time.Duration

	mu      sync.Mutex // orders the read deadline against Close
	closing bool

	// Input state, used by the reading goroutine only.
	buf     *[]byte // nil while nothing is pending
	r, w    int     // pending input is (*buf)[r:w]
	scanned int     // bytes of pending input known to hold no newline
	raw     syscall.RawConn
	readFn  func(fd uintptr) bool // c.readOnce, bound once
	n       int                   // readOnce's results
	rerr    error
}

var _ hub.Transport = (*conn)(nil)

func newConn(c net.Conn, cfg Config) *conn {
	t := &conn{c: c, max: cfg.MaxLineBytes, writeTimeout: cfg.WriteTimeout}
	t.setupRaw()
	return t
}

func (t *conn) Source() mangahub.Source { return mangahub.SourceTCP }

func (t *conn) RemoteAddr() string { return t.c.RemoteAddr().String() }

// ReadMessage returns the next non-blank line without "\n" or "\r\n".
func (t *conn) ReadMessage(deadline time.Time) ([]byte, error) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return nil, net.ErrClosed
	}
	err := t.c.SetReadDeadline(deadline)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for {
		line, err := t.nextLine()
		if err == nil && line != nil {
			return line, nil
		}
		if err == nil {
			err = t.fill()
		}
		if err != nil {
			t.release()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, hub.ErrReadTimeout
			}
			return nil, err
		}
	}
}

// nextLine returns the next complete non-blank line of the pending input,
// nil when there is none yet, or ErrMessageTooLarge as soon as the pending
// line is longer than the limit (without waiting for its end).
func (t *conn) nextLine() ([]byte, error) {
	for t.buf != nil && t.r < t.w {
		pending := (*t.buf)[t.r:t.w]
		i := bytes.IndexByte(pending[t.scanned:], '\n')
		if i < 0 {
			t.scanned = len(pending)
			if len(pending) > t.max+1 { // +1: a '\r' may precede the '\n'
				return nil, hub.ErrMessageTooLarge
			}
			return nil, nil
		}
		line := pending[:t.scanned+i]
		t.r += t.scanned + i + 1
		t.scanned = 0
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > t.max {
			return nil, hub.ErrMessageTooLarge
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
	}
	return nil, nil
}

// fill reads more input.
func (t *conn) fill() error {
	if t.r == t.w {
		// Everything handed out: wait without a buffer.
		t.release()
	}
	if t.raw == nil {
		t.ensureSpace()
		n, err := t.c.Read((*t.buf)[t.w:])
		t.w += n
		if n > 0 {
			return nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	if err := t.raw.Read(t.readFn); err != nil {
		return err
	}
	if t.rerr != nil {
		return t.rerr
	}
	t.w += t.n
	return nil
}

// ensureSpace makes room after w: a pooled buffer, the pending input moved
// to the front, or a larger private buffer (up to the line limit).
func (t *conn) ensureSpace() {
	if t.buf == nil {
		t.buf = chunks.Get().(*[]byte)
		t.r, t.w, t.scanned = 0, 0, 0
		return
	}
	b := *t.buf
	if t.w < len(b) {
		return
	}
	pending := t.w - t.r
	if t.r > 0 && pending <= len(b)/2 {
		copy(b, b[t.r:t.w])
	} else {
		size := 2 * len(b)
		if limit := t.max + 2; size > limit {
			size = limit
		}
		if size <= len(b) { // nextLine reports the line too large first
			size = len(b) + 1
		}
		nb := make([]byte, size)
		copy(nb, b[t.r:t.w])
		t.release()
		t.buf = &nb
	}
	t.r, t.w = 0, pending
}

// release gives the input buffer back; pending input must not matter.
func (t *conn) release() {
	if t.buf == nil {
		return
	}
	if cap(*t.buf) == readChunk {
		chunks.Put(t.buf)
	}
	t.buf = nil
	t.r, t.w, t.scanned = 0, 0, 0
}

// WriteMessages writes the batch with one writev.
func (t *conn) WriteMessages(msgs [][]byte) error {
	if err := t.c.SetWriteDeadline(time.Now().Add(t.writeTimeout)); err != nil {
		return err
	}
	if len(msgs) == 1 {
		_, err := t.c.Write(msgs[0])
		return err
	}
	bufs := net.Buffers(msgs)
	_, err := bufs.WriteTo(t.c)
	return err
}

// Close half-closes, lingers to drain the client's input, then closes.
func (t *conn) Close(hub.CloseReason) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	// A reader blocked now wakes by the linger deadline at the latest; one
	// about to read sees closing first.
	_ = t.c.SetReadDeadline(time.Now().Add(lingerTimeout))
	t.mu.Unlock()
	if cw, ok := t.c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		var scratch [512]byte
		for drained := 0; drained < maxLingerBytes; {
			n, err := t.c.Read(scratch[:])
			drained += n
			if err != nil {
				break
			}
		}
	}
	_ = t.c.Close()
}

// CloseNow closes at once.
func (t *conn) CloseNow() {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	_ = t.c.Close()
}
