//go:build unix

package ws

import (
	"io"
	"syscall"
)

// setupRaw arranges buffer-less waiting for sockets that allow it.
func (in *input) setupRaw() {
	sc, ok := in.c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	in.raw = raw
	in.readFn = in.readOnce
}

// readOnce is called by RawConn.Read whenever the socket may be readable.
// Returning false waits for readability (honouring the read deadline)
// without holding a buffer: the chunk is taken only for the read itself.
func (in *input) readOnce(fd uintptr) bool {
	dst := in.dst
	if dst == nil {
		in.buf = chunks.Get().(*[]byte)
		dst = *in.buf
	}
	for {
		n, err := syscall.Read(int(fd), dst)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if in.dst == nil {
				in.release()
			}
			return false
		case err != nil:
			in.n, in.rerr = 0, err
		case n == 0:
			in.n, in.rerr = 0, io.EOF
		default:
			in.n, in.rerr = n, nil
		}
		if in.n == 0 && in.dst == nil {
			in.release()
		}
		return true
	}
}
