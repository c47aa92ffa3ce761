package ws

import (
	"io"
	"net"
	"sync"
	"syscall"
)

// readChunk is the size of the pooled buffers input is read into: a few
// frames of the protocol's usual size at once.
const readChunk = 4 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

// input is the byte stream under the frames, as an io.Reader for the frame
// reader. It holds a buffer only while bytes are pending: on Unix it waits
// for the socket to become readable through syscall.RawConn and only then
// takes a pooled chunk to read into (raw_unix.go), and it gives the chunk
// back as soon as every byte in it has been consumed. An idle connection
// therefore holds no read buffer, as in tcpsync.
//
// It is used by one goroutine at a time (see transport: the reader, or Close
// once the reader has finished).
type input struct {
	c      net.Conn
	buf    *[]byte // nil while nothing is pending
	r, w   int     // pending input is (*buf)[r:w]
	raw    syscall.RawConn
	readFn func(fd uintptr) bool // readOnce, bound once
	dst    []byte                // where readOnce reads: a chunk, or the caller's slice
	n      int                   // readOnce's results
	rerr   error
}

func (in *input) init(c net.Conn, early []byte) {
	in.c = c
	in.setupRaw()
	if len(early) > 0 {
		// The bytes belong to net/http's reader, which is let go: copy them.
		if len(early) <= readChunk {
			in.buf = chunks.Get().(*[]byte)
		} else {
			b := make([]byte, len(early))
			in.buf = &b
		}
		in.w = copy(*in.buf, early)
	}
}

// pending is the number of bytes read from the socket and not consumed yet.
func (in *input) pending() int { return in.w - in.r }

// Read hands out pending bytes, or reads more. A read of at least a chunk
// with nothing pending goes straight into p.
func (in *input) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if in.pending() == 0 {
		if len(p) >= readChunk {
			return in.read(p)
		}
		if err := in.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, (*in.buf)[in.r:in.w])
	in.r += n
	if in.r == in.w {
		in.release()
	}
	return n, nil
}

// fill waits for input, without a buffer, and reads it into a pooled chunk.
func (in *input) fill() error {
	in.release()
	if in.raw == nil {
		in.buf = chunks.Get().(*[]byte)
		n, err := in.read(*in.buf)
		if n == 0 {
			in.release()
			return err
		}
		in.w = n
		return nil
	}
	in.dst = nil
	n, err := in.rawRead()
	if n == 0 {
		return err
	}
	in.w = n
	return nil
}

// read reads once into p.
func (in *input) read(p []byte) (int, error) {
	if in.raw == nil {
		n, err := in.c.Read(p)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	in.dst = p
	n, err := in.rawRead()
	in.dst = nil
	return n, err
}

// rawRead waits for readability and reads into dst, or into a pooled chunk
// (in.buf) when dst is nil.
func (in *input) rawRead() (int, error) {
	if err := in.raw.Read(in.readFn); err != nil {
		return 0, err
	}
	if in.rerr != nil {
		err := in.rerr
		in.rerr = nil
		return 0, err
	}
	return in.n, nil
}

// release gives the chunk back; pending input must not matter.
func (in *input) release() {
	if in.buf == nil {
		return
	}
	if cap(*in.buf) == readChunk {
		chunks.Put(in.buf)
	}
	in.buf = nil
	in.r, in.w = 0, 0
}
