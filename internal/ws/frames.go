package ws

import (
	"io"
	"net"
	"sync"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// frameReader reads one message's frames with gobwas/ws's wsutil.Reader,
// which checks every header (masking, reserved bits and opcodes, control
// frame rules, the order of fragments), unmasks, validates UTF-8 as the
// bytes arrive and refuses a message over the limit from the header that
// crosses it, before its payload. It is pooled: a connection holds one only
// while a message is arriving.
type frameReader struct {
	rd  wsutil.Reader
	t   *transport
	ctl [ws.MaxControlFramePayloadSize]byte
}

var frameReaders = sync.Pool{New: func() any {
	fr := &frameReader{}
	fr.rd.State = ws.StateServerSide
	fr.rd.CheckUTF8 = true
	fr.rd.OnIntermediate = fr.intermediate
	return fr
}}

// message returns the next text message; control frames before it and
// between its fragments are answered on the way.
func (fr *frameReader) message() ([]byte, error) {
	t := fr.t
	for {
		h, err := fr.rd.NextFrame()
		switch {
		case err == wsutil.ErrMessageTooLarge:
			// Refused from its header: the payload is still unread.
			t.pos, t.skip = inFrame, h.Length
			return nil, t.readError(err)
		case err != nil:
			return nil, t.readError(err)
		case h.OpCode.IsControl():
			if err := fr.control(h, &fr.rd); err != nil {
				return nil, t.readError(err)
			}
			if t.in.pending() == 0 {
				// A client that pings now and then is still idle.
				return nil, errNoMessage
			}
		case h.OpCode == ws.OpBinary:
			t.pos, t.skip = inFrame, h.Length
			return nil, t.fail(ws.StatusUnsupportedData, "binary messages are not accepted", [][]byte{binaryRefusal})
		default:
			return fr.text()
		}
	}
}

// text reads the payload of the text message whose first frame was just
// read, fragments included, into a pooled buffer that grows as bytes arrive.
func (fr *frameReader) text() ([]byte, error) {
	t := fr.t
	t.msg = msgBuffers.Get().(*[]byte)
	b := (*t.msg)[:0]
	for {
		if len(b) == cap(b) {
			b = growMsg(b)
		}
		n, err := fr.rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*t.msg = b
			return b, nil
		}
		if err != nil {
			*t.msg = b[:0]
			return nil, t.readError(err)
		}
	}
}

// intermediate is wsutil.Reader's hook for control frames between the
// fragments of a message.
func (fr *frameReader) intermediate(h ws.Header, body io.Reader) error {
	return fr.control(h, body)
}

// control reads a control frame's payload (at most 125 bytes, the header
// check saw to that) and answers it.
func (fr *frameReader) control(h ws.Header, body io.Reader) error {
	p := fr.ctl[:h.Length]
	if _, err := io.ReadFull(body, p); err != nil {
		return err
	}
	return fr.t.control(h.OpCode, p)
}

// writeBatch assembles frames for one system call: the headers side by side
// in hdrs, and bufs alternating header and payload. Pooled.
type writeBatch struct {
	hdrs    []byte
	bufs    net.Buffers
	scratch [ws.MaxHeaderSize]byte
}

var writeBatches = sync.Pool{New: func() any { return new(writeBatch) }}

// maxServerHeader is the longest header of an unmasked frame.
const maxServerHeader = 10

// Write appends a header to hdrs, for ws.WriteHeaderBuffer.
func (wb *writeBatch) Write(p []byte) (int, error) {
	wb.hdrs = append(wb.hdrs, p...)
	return len(p), nil
}

// writeFrames writes each of msgs as one unfragmented frame of opcode op,
// all with one system call; a text message loses its trailing newline
// (hub.Transport's TCP framing). The caller holds wmu and has set the write
// deadline.
func (t *transport) writeFrames(op ws.OpCode, msgs [][]byte) error {
	wb := writeBatches.Get().(*writeBatch)
	if need := len(msgs) * maxServerHeader; cap(wb.hdrs) < need {
		wb.hdrs = make([]byte, 0, need) // headers must not move once sliced
	}
	for _, m := range msgs {
		if n := len(m); op == ws.OpText && n > 0 && m[n-1] == '\n' {
			m = m[:n-1]
		}
		start := len(wb.hdrs)
		h := ws.Header{Fin: true, OpCode: op, Length: int64(len(m))}
		if err := ws.WriteHeaderBuffer(wb, h, wb.scratch[:]); err != nil {
			wb.reset()
			return err
		}
		wb.bufs = append(wb.bufs, wb.hdrs[start:len(wb.hdrs):len(wb.hdrs)])
		if len(m) > 0 {
			wb.bufs = append(wb.bufs, m)
		}
	}
	var err error
	if total := len(wb.hdrs) + payloadLen(msgs); total <= readChunk {
		// Small batches (nearly all of them) are copied into one pooled
		// chunk and written with one write: a writev would leave a cached
		// iovec array on every connection's descriptor.
		c := chunks.Get().(*[]byte)
		b := (*c)[:0]
		for _, p := range wb.bufs {
			b = append(b, p...)
		}
		_, err = t.conn.Write(b)
		chunks.Put(c)
	} else {
		bufs := wb.bufs
		_, err = bufs.WriteTo(t.conn)
	}
	wb.reset()
	return err
}

// payloadLen is the payload bytes of msgs (an upper bound: newlines are
// dropped).
func payloadLen(msgs [][]byte) int {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

// reset empties the batch, letting go of the payloads, and pools it unless
// an unusual batch made it large.
func (wb *writeBatch) reset() {
	clear(wb.bufs)
	wb.bufs, wb.hdrs = wb.bufs[:0], wb.hdrs[:0]
	if cap(wb.bufs) <= 256 && cap(wb.hdrs) <= 128*maxServerHeader {
		writeBatches.Put(wb)
	}
}
