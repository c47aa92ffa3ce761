package ws

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// The closing handshake: after its close frame the server waits this long,
// reading and discarding at most maxDrainBytes, for the client's close frame,
// then closes the socket. Closing with unread input would reset the
// connection, and the client could lose the last message and the close
// frame.
const (
	closeTimeout  = 2 * time.Second
	maxDrainBytes = 1 << 20
)

// msgChunk is the size of the pooled buffers messages are assembled in; a
// longer message grows a private buffer, up to the message limit.
const msgChunk = 4 << 10

var msgBuffers = sync.Pool{New: func() any { b := make([]byte, 0, msgChunk); return &b }}

// errNoMessage says that readMessage answered control frames and that
// nothing more is pending: the wait for a message starts again.
var errNoMessage = errors.New("ws: no message yet")

// errEnded wraps the errors ReadMessage returns once the transport has ended
// the connection itself: a protocol violation, a binary message, or the
// client's close frame. For the hub they all mean "gone".
var errEnded = errors.New("ws: connection ended")

// binaryRefusal is what a binary message gets before close status 1003: the
// protocol's messages are JSON text.
var binaryRefusal = protocol.Marshal(protocol.NewError("", mangahub.Errorf(mangahub.CodeInvalidJSON,
	"binary messages are not accepted: send each JSON object as a text message")))

// position says where the unread input stands in the frame stream, for the
// closing handshake.
type position uint8

const (
	atFrame position = iota // the next byte starts a frame
	inFrame                 // skip bytes of a frame's payload come first
	lost                    // somewhere inside a frame of unknown length
)

// transport is a WebSocket connection as a hub.Transport.
//
// Reading belongs to one goroutine at a time: the hub's reader in
// ReadMessage, or Close once no ReadMessage is running (readDone hands the
// input over). Writing is serialized by wmu: the hub's writer, pong replies
// from the reader and the close frame.
type transport struct {
	conn         net.Conn
	max          int
	writeTimeout time.Duration

	// Read side (see above).
	in   input
	pos  position
	skip int64   // bytes of the current frame left, when pos is inFrame
	msg  *[]byte // the last message returned; nil while waiting

	mu         sync.Mutex
	closing    bool          // the closing handshake has begun: no more reads
	reading    bool          // a ReadMessage is running
	readDone   chan struct{} // closed when that ReadMessage returns, if Close waits
	peerClosed bool          // the client's close frame has been read

	wmu       sync.Mutex
	closeSent bool // nothing is written after the close frame
}

var _ hub.Transport = (*transport)(nil)

func newTransport(c net.Conn, early []byte, maxBytes int, writeTimeout time.Duration) *transport {
	t := &transport{conn: c, max: maxBytes, writeTimeout: writeTimeout}
	t.in.init(c, early)
	return t
}

func (t *transport) Source() mangahub.Source { return mangahub.SourceWS }

// RemoteAddr is asked for once or twice in a connection's life: it is not
// worth keeping per idle connection.
func (t *transport) RemoteAddr() string { return t.conn.RemoteAddr().String() }

// ReadMessage returns the next text message, answering control frames on
// the way. It waits for the socket to become readable before it takes a
// buffer or a frame reader, and it keeps the calling goroutine's stack at
// the 2 KiB minimum: that goroutine waits here for most of the
// connection's life, and the runtime practically never shrinks a stack
// that grew. So the waiting is shallow, and the frames are read on a
// goroutine of their own (readAside).
func (t *transport) ReadMessage(deadline time.Time) ([]byte, error) {
	t.releaseMsg()
	t.mu.Lock()
	err := t.readable()
	if err == nil {
		err = t.conn.SetReadDeadline(deadline)
	}
	t.reading = err == nil
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var msg []byte
	for {
		if t.in.pending() == 0 {
			err = t.in.fill()
		}
		if err == nil {
			msg, err = t.readAside()
		}
		if err != errNoMessage {
			break
		}
		// Only control frames came: back to waiting here, lightly.
		err = nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = hub.ErrReadTimeout // from fill: at a frame boundary, nothing read
	}
	t.endRead()
	return msg, err
}

// readable says why the connection may not be read, if it may not.
func (t *transport) readable() error {
	switch {
	case t.closing:
		return net.ErrClosed
	case t.pos != atFrame:
		// Only after an error the hub does not read on from.
		return fmt.Errorf("%w: input is out of step with the frames", errEnded)
	}
	return nil
}

// endRead hands the input over to a Close that waits for it.
func (t *transport) endRead() {
	t.mu.Lock()
	t.reading = false
	if t.readDone != nil {
		close(t.readDone)
		t.readDone = nil
	}
	t.mu.Unlock()
}

type readResult struct {
	msg []byte
	err error
}

// readAside runs readMessage on a goroutine of its own and waits for it.
// Reading frames through the library, and answering control frames or
// failing the connection, needs a deeper stack than waiting does; a
// goroutine that exits gives it back. The hub dispatches requests the same
// way, for the same reason.
func (t *transport) readAside() ([]byte, error) {
	done := make(chan readResult, 1)
	go func() {
		msg, err := t.readMessage()
		done <- readResult{msg, err}
	}()
	r := <-done
	return r.msg, r.err
}

// readMessage reads a message whose first bytes are pending.
func (t *transport) readMessage() ([]byte, error) {
	fr := frameReaders.Get().(*frameReader)
	fr.t = t
	fr.rd.Source = &t.in
	fr.rd.MaxMessageSize = int64(t.max)
	msg, err := fr.message()
	if err == nil || err == errNoMessage {
		// A whole message leaves the reader in its initial state; after an
		// error it is dropped with its state.
		fr.t, fr.rd.Source = nil, nil
		frameReaders.Put(fr)
	}
	return msg, err
}

// releaseMsg gives the last message's buffer back.
func (t *transport) releaseMsg() {
	if t.msg == nil {
		return
	}
	if cap(*t.msg) == msgChunk {
		*t.msg = (*t.msg)[:0]
		msgBuffers.Put(t.msg)
	}
	t.msg = nil
}

// readError translates an error met inside a frame.
func (t *transport) readError(err error) error {
	t.pos = lost
	switch {
	case errors.Is(err, errEnded):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return hub.ErrReadTimeout
	case errors.Is(err, wsutil.ErrMessageTooLarge):
		return hub.ErrMessageTooLarge
	case errors.Is(err, wsutil.ErrInvalidUTF8):
		return t.fail(ws.StatusInvalidFramePayloadData, "invalid UTF-8 in a text message", nil)
	case errors.Is(err, ws.ErrHeaderLengthMSB), errors.Is(err, ws.ErrHeaderLengthUnexpected):
		return t.fail(ws.StatusProtocolError, err.Error(), nil)
	}
	var pe ws.ProtocolError
	if errors.As(err, &pe) {
		return t.fail(ws.StatusProtocolError, pe.Error(), nil)
	}
	return err
}

// control answers a control frame whose (unmasked) payload is p.
func (t *transport) control(op ws.OpCode, p []byte) error {
	switch op {
	case ws.OpPing:
		t.writeControl(ws.OpPong, p)
	case ws.OpClose:
		return t.peerClose(p)
	}
	return nil // a pong: nothing asked for it, nothing to do
}

// peerClose answers the client's close frame with one of the server's,
// echoing its status, and closes the socket: the client's close frame is
// the last thing it sends, so there is nothing left to wait for.
func (t *transport) peerClose(p []byte) error {
	t.mu.Lock()
	t.peerClosed = true
	already := t.closing
	t.closing = true
	t.mu.Unlock()
	if already {
		// Our close frame is out (or going out); Close finishes.
		return fmt.Errorf("%w: the client answered the close frame", errEnded)
	}
	code, reason := ws.StatusCode(0), ""
	switch {
	case len(p) == 1:
		code, reason = ws.StatusProtocolError, "close frame payload of one byte"
	case len(p) >= 2:
		code, reason = ws.ParseCloseFrameData(p)
		switch err := ws.CheckCloseFrameData(code, reason); {
		case errors.Is(err, ws.ErrProtocolInvalidUTF8):
			code, reason = ws.StatusInvalidFramePayloadData, err.Error()
		case err != nil:
			code, reason = ws.StatusProtocolError, err.Error()
		default:
			reason = ""
		}
	}
	t.sendClose(code, reason, nil)
	t.in.release()
	_ = t.conn.Close()
	return fmt.Errorf("%w: the client closed it", errEnded)
}

// fail starts the closing handshake from the reading side (after msgs, if
// any) and finishes it. It returns the error that ReadMessage reports.
func (t *transport) fail(code ws.StatusCode, reason string, msgs [][]byte) error {
	err := fmt.Errorf("%w: %s (close status %d)", errEnded, reason, code)
	t.mu.Lock()
	already := t.closing
	t.closing = true
	t.mu.Unlock()
	if already {
		return err // Close is at work and takes over the input once this read returns
	}
	_ = t.conn.SetReadDeadline(time.Now().Add(closeTimeout))
	t.sendClose(code, reason, msgs)
	t.finishClose()
	return err
}

// WriteMessages sends each message as a text frame, without its newline,
// all with one system call.
func (t *transport) WriteMessages(msgs [][]byte) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closeSent {
		return net.ErrClosed
	}
	if err := t.conn.SetWriteDeadline(time.Now().Add(t.writeTimeout)); err != nil {
		return err
	}
	return t.writeFrames(ws.OpText, msgs)
}

// writeControl sends a control frame, unless the close frame has been sent.
func (t *transport) writeControl(op ws.OpCode, p []byte) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closeSent {
		return
	}
	if t.conn.SetWriteDeadline(time.Now().Add(t.writeTimeout)) == nil {
		_ = t.writeFrames(op, [][]byte{p})
	}
}

// sendClose sends msgs, then the close frame (code 0: one without a
// status), unless a close frame has been sent already.
func (t *transport) sendClose(code ws.StatusCode, reason string, msgs [][]byte) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closeSent {
		return
	}
	t.closeSent = true
	if t.conn.SetWriteDeadline(time.Now().Add(t.writeTimeout)) != nil {
		return
	}
	if len(msgs) > 0 && t.writeFrames(ws.OpText, msgs) != nil {
		return
	}
	var body []byte
	if code != 0 {
		var b [ws.MaxControlFramePayloadSize]byte
		reason = reason[:min(len(reason), len(b)-2)]
		body = b[:2+len(reason)]
		ws.PutCloseFrameBody(body, code, reason)
	}
	_ = t.writeFrames(ws.OpClose, [][]byte{body})
}

// Close sends a close frame with a status for reason, waits briefly for the
// client's, and closes the socket.
func (t *transport) Close(reason hub.CloseReason) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	// Wakes a reader waiting now by then at the latest; one about to read
	// sees closing first.
	_ = t.conn.SetReadDeadline(time.Now().Add(closeTimeout))
	var readerDone chan struct{}
	if t.reading {
		readerDone = make(chan struct{})
		t.readDone = readerDone
	}
	t.mu.Unlock()
	code, text := closeStatus(reason)
	t.sendClose(code, text, nil)
	if readerDone != nil {
		// The reader gets the client's close frame, or the deadline; either
		// way the input is then Close's.
		<-readerDone
	}
	t.finishClose()
}

// finishClose ends the sending side (FIN right behind the close frame, so
// that the client need not wait for it), waits for the client's close frame
// unless it came already, and closes the socket. The caller owns the input.
func (t *transport) finishClose() {
	if cw, ok := t.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	t.mu.Lock()
	peerClosed := t.peerClosed
	t.mu.Unlock()
	if !peerClosed {
		t.drain()
	}
	t.in.release()
	_ = t.conn.Close()
}

// drain reads and discards input until the client's close frame, the end
// of the stream, the read deadline or maxDrainBytes.
func (t *transport) drain() {
	budget := int64(maxDrainBytes)
	if t.pos == inFrame {
		if t.skip > budget {
			return
		}
		if _, err := io.CopyN(io.Discard, &t.in, t.skip); err != nil {
			return
		}
		budget -= t.skip
		t.pos = atFrame
	}
	if t.pos == lost {
		_, _ = io.CopyN(io.Discard, &t.in, budget)
		return
	}
	for {
		h, err := ws.ReadHeader(&t.in)
		if err != nil || h.OpCode == ws.OpClose || h.Length > budget {
			return
		}
		if _, err := io.CopyN(io.Discard, &t.in, h.Length); err != nil {
			return
		}
		budget -= h.Length
	}
}

// CloseNow drops the connection.
func (t *transport) CloseNow() {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	_ = t.conn.Close()
}

// statusTryAgainLater (RFC 6455 §7.4 registry) has no name in gobwas/ws.
const statusTryAgainLater ws.StatusCode = 1013

func closeStatus(r hub.CloseReason) (ws.StatusCode, string) {
	switch r {
	case hub.CloseGoingAway:
		return ws.StatusGoingAway, "server shutting down"
	case hub.ClosePolicy:
		return ws.StatusPolicyViolation, "see the last error message"
	case hub.CloseTooLarge:
		return ws.StatusMessageTooBig, "message too large"
	case hub.CloseTryAgainLater:
		return statusTryAgainLater, "try again later"
	case hub.CloseInternal:
		return ws.StatusInternalServerError, "internal error"
	}
	return ws.StatusNormalClosure, ""
}

// growMsg makes room in b for more of a message.
func growMsg(b []byte) []byte {
	return slices.Grow(b, max(cap(b), msgChunk))
}
