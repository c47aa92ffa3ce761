package ws

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/mangahub/mangahub/internal/hub"
)

const testWait = 5 * time.Second

// tcpPair returns the server and client ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

// clientFrames encodes masked client frames.
func clientFrames(t *testing.T, frames ...ws.Frame) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, f := range frames {
		f.Payload = bytes.Clone(f.Payload)
		if err := ws.WriteFrame(&b, ws.MaskFrameInPlace(f)); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// readFrame reads one frame (ws.ReadFrame is deprecated: it trusts the
// declared length).
func readFrame(r io.Reader) (ws.Frame, error) {
	h, err := ws.ReadHeader(r)
	if err != nil {
		return ws.Frame{Header: h}, err
	}
	if h.Length > 1<<20 {
		return ws.Frame{Header: h}, errors.New("frame too long")
	}
	f := ws.Frame{Header: h, Payload: make([]byte, h.Length)}
	_, err = io.ReadFull(r, f.Payload)
	return f, err
}

// idle reports whether t holds no input chunk and no message buffer.
func (t *transport) idle() bool { return t.in.buf == nil && t.msg == nil && t.pos == atFrame }

// TestReadAcrossChunks: frames arrive byte by byte, pipelined, larger than
// a chunk, and partly before the transport exists; each message comes out
// whole, and once nothing is pending the transport holds no buffer.
func TestReadAcrossChunks(t *testing.T) {
	server, client := tcpPair(t)
	long := strings.Repeat("L", 3*readChunk+17)
	stream := clientFrames(t,
		ws.NewTextFrame([]byte("early")),
		ws.NewTextFrame([]byte("one")),
		ws.NewFrame(ws.OpText, false, []byte("fr")),
		ws.NewPingFrame([]byte("p")),
		ws.NewFrame(ws.OpContinuation, true, []byte("agment")),
		ws.NewTextFrame([]byte(long)),
		ws.NewTextFrame([]byte("last")),
	)
	earlyLen := len(clientFrames(t, ws.NewTextFrame([]byte("early"))))
	tr := newTransport(server, stream[:earlyLen], 64<<10, time.Second)
	if tr.in.raw == nil {
		t.Fatal("a TCP connection without RawConn reads")
	}
	rest := stream[earlyLen:]
	go func() {
		for i := range 20 { // byte by byte at first
			client.Write(rest[i : i+1])
		}
		client.Write(rest[20:])
	}()
	for _, want := range []string{"early", "one", "fragment", long, "last"} {
		got, err := tr.ReadMessage(time.Now().Add(testWait))
		if err != nil {
			t.Fatalf("reading %.10q: %v", want, err)
		}
		if string(got) != want {
			t.Fatalf("got %.20q (%d bytes), want %.20q (%d bytes)", got, len(got), want, len(want))
		}
	}
	// The ping between the fragments was answered.
	client.SetReadDeadline(time.Now().Add(testWait))
	if f, err := readFrame(client); err != nil || f.Header.OpCode != ws.OpPong || string(f.Payload) != "p" {
		t.Fatalf("got %+v, %v; want the pong", f.Header, err)
	}
	if _, err := tr.ReadMessage(time.Now().Add(20 * time.Millisecond)); !errors.Is(err, hub.ErrReadTimeout) {
		t.Fatalf("idle read: %v, want ErrReadTimeout", err)
	}
	if !tr.idle() {
		t.Fatalf("idle transport holds input %v, message %v, position %d", tr.in.buf != nil, tr.msg != nil, tr.pos)
	}
	// A timeout at a frame boundary leaves the connection usable.
	client.Write(clientFrames(t, ws.NewTextFrame([]byte("again"))))
	if got, err := tr.ReadMessage(time.Now().Add(testWait)); err != nil || string(got) != "again" {
		t.Fatalf("after the timeout: %q, %v", got, err)
	}
}

// TestWriteMessages: a batch goes out as unmasked text frames in order,
// without the newlines, and nothing is written after the close frame.
func TestWriteMessages(t *testing.T) {
	server, client := tcpPair(t)
	tr := newTransport(server, nil, 64<<10, time.Second)
	big := strings.Repeat("b", 100<<10) // server messages may exceed the client limit
	if err := tr.WriteMessages([][]byte{[]byte("a\n"), []byte(big + "\n"), []byte("")}); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(testWait))
	for _, want := range []string{"a", big, ""} {
		f, err := readFrame(client)
		if err != nil {
			t.Fatal(err)
		}
		if f.Header.OpCode != ws.OpText || !f.Header.Fin || f.Header.Masked || string(f.Payload) != want {
			t.Fatalf("got %+v %.10q, want an unmasked text frame %.10q", f.Header, f.Payload, want)
		}
	}
	done := make(chan struct{})
	go func() { defer close(done); tr.Close(hub.CloseTryAgainLater) }()
	f, err := readFrame(client)
	if err != nil || f.Header.OpCode != ws.OpClose {
		t.Fatalf("got %+v, %v; want the close frame", f.Header, err)
	}
	if code, _ := ws.ParseCloseFrameData(f.Payload); code != 1013 {
		t.Fatalf("close status %d, want 1013", code)
	}
	if err := tr.WriteMessages([][]byte{[]byte("late\n")}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	client.Write(clientFrames(t, ws.NewCloseFrame(ws.NewCloseFrameBody(1013, ""))))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the close handshake: %v, want EOF", err)
	}
	<-done
}

// TestCloseWhileReading: Close with a ReadMessage waiting hands the input
// over when the client answers, without waiting for the deadline.
func TestCloseWhileReading(t *testing.T) {
	server, client := tcpPair(t)
	tr := newTransport(server, nil, 64<<10, time.Second)
	readErr := make(chan error, 1)
	go func() {
		_, err := tr.ReadMessage(time.Now().Add(time.Minute))
		readErr <- err
	}()
	// The reader is waiting once the transport says so.
	deadline := time.Now().Add(testWait)
	for {
		tr.mu.Lock()
		reading := tr.reading
		tr.mu.Unlock()
		if reading {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ReadMessage did not start")
		}
		time.Sleep(time.Millisecond)
	}
	began := time.Now()
	closed := make(chan struct{})
	go func() { defer close(closed); tr.Close(hub.CloseGoingAway) }()
	client.SetReadDeadline(time.Now().Add(testWait))
	f, err := readFrame(client)
	if err != nil || f.Header.OpCode != ws.OpClose {
		t.Fatalf("got %+v, %v; want the close frame", f.Header, err)
	}
	client.Write(clientFrames(t, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusGoingAway, ""))))
	<-closed
	if err := <-readErr; err == nil || errors.Is(err, hub.ErrReadTimeout) {
		t.Fatalf("reader got %v, want the connection gone", err)
	}
	if d := time.Since(began); d >= closeTimeout {
		t.Fatalf("Close took %v: it waited for the deadline", d)
	}
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the close handshake: %v, want EOF", err)
	}
}
