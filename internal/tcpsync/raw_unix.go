//go:build unix

package tcpsync

import (
	"io"
	"syscall"
)

// setupRaw arranges buffer-less waiting for sockets that allow it.
func (t *conn) setupRaw() {
	sc, ok := t.c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	t.raw = raw
	t.readFn = t.readOnce
}

// readOnce is called by RawConn.Read whenever the socket may be readable.
// Returning false waits for readability (honouring the read deadline)
// without holding a buffer.
func (t *conn) readOnce(fd uintptr) bool {
	t.ensureSpace()
	for {
		n, err := syscall.Read(int(fd), (*t.buf)[t.w:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if t.r == t.w {
				t.release()
			}
			return false
		case err != nil:
			t.n, t.rerr = 0, err
		case n == 0:
			t.n, t.rerr = 0, io.EOF
		default:
			t.n, t.rerr = n, nil
		}
		return true
	}
}
