package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	gws "github.com/gobwas/ws"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
)

// rawClient speaks WebSocket frame by frame, so that tests can send what a
// well-behaved client library never would: unmasked frames, fragments in
// any order, a header without its payload.
type rawClient struct {
	c net.Conn
	r io.Reader
}

func (s *testServer) dialRaw(t *testing.T, d gws.Dialer) *rawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, br, _, err := d.Dial(ctx, s.wsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := io.Reader(c)
	if br != nil { // bytes the server sent right behind its 101
		r = br
	}
	return &rawClient{c: c, r: r}
}

// loginRaw dials and authenticates.
func (s *testServer) loginRaw(t *testing.T, token string) *rawClient {
	t.Helper()
	c := s.dialRaw(t, gws.Dialer{})
	c.expect(t, protocol.TypeAuthRequired)
	c.sendJSON(t, protocol.AuthMessage{Type: protocol.TypeAuth, Token: token})
	c.expect(t, protocol.TypeAuthOK)
	return c
}

// frame is one frame to send; the client masks it unless unmasked is set.
type frame struct {
	op       gws.OpCode
	fin      bool
	rsv      byte
	payload  []byte
	unmasked bool
}

// text is a whole text message in one frame.
func text(s string) frame { return frame{op: gws.OpText, fin: true, payload: []byte(s)} }

// first is the first fragment of a message.
func first(op gws.OpCode, s string) frame { return frame{op: op, payload: []byte(s)} }

// cont is a continuation fragment, the last one when fin is set.
func cont(s string, fin bool) frame {
	return frame{op: gws.OpContinuation, fin: fin, payload: []byte(s)}
}

// ctl is a control frame.
func ctl(op gws.OpCode, p []byte) frame { return frame{op: op, fin: true, payload: p} }

func closeBody(code gws.StatusCode, reason string) []byte {
	return gws.NewCloseFrameBody(code, reason)
}

func (c *rawClient) send(t *testing.T, frames ...frame) {
	t.Helper()
	var out bytes.Buffer
	for _, f := range frames {
		wf := gws.NewFrame(f.op, f.fin, slices.Clone(f.payload))
		wf.Header.Rsv = f.rsv
		if !f.unmasked {
			wf = gws.MaskFrameInPlace(wf)
		}
		if err := gws.WriteFrame(&out, wf); err != nil {
			t.Fatal(err)
		}
	}
	c.write(t, out.Bytes())
}

// sendHeader sends a masked frame header and none of its payload.
func (c *rawClient) sendHeader(t *testing.T, op gws.OpCode, fin bool, length int64) {
	t.Helper()
	var out bytes.Buffer
	h := gws.Header{Fin: fin, OpCode: op, Length: length, Masked: true, Mask: gws.NewMask()}
	if err := gws.WriteHeader(&out, h); err != nil {
		t.Fatal(err)
	}
	c.write(t, out.Bytes())
}

func (c *rawClient) write(t *testing.T, b []byte) {
	t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(wait))
	if _, err := c.c.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) sendJSON(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	c.send(t, frame{op: gws.OpText, fin: true, payload: b})
}

// next reads the server's next frame, which must be unmasked.
func (c *rawClient) next(t *testing.T) (gws.Header, []byte) {
	t.Helper()
	c.c.SetReadDeadline(time.Now().Add(wait))
	h, err := gws.ReadHeader(c.r)
	if err != nil {
		t.Fatalf("read frame header: %v", err)
	}
	if h.Masked {
		t.Fatalf("server sent a masked frame: %+v", h)
	}
	if !h.Fin {
		t.Fatalf("server fragmented a frame: %+v", h)
	}
	if h.Length > 1<<20 {
		t.Fatalf("server frame of %d bytes", h.Length)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, p); err != nil {
		t.Fatalf("read frame payload: %v", err)
	}
	return h, p
}

// receive reads the next frame, which must be a text message of JSON.
func (c *rawClient) receive(t *testing.T) protocol.ServerMessage {
	t.Helper()
	h, p := c.next(t)
	if h.OpCode != gws.OpText {
		t.Fatalf("got a frame with opcode %v (%q), want a text message", h.OpCode, p)
	}
	var m protocol.ServerMessage
	if err := json.Unmarshal(p, &m); err != nil {
		t.Fatalf("server sent %q: %v", p, err)
	}
	return m
}

func (c *rawClient) expect(t *testing.T, typ string) protocol.ServerMessage {
	t.Helper()
	m := c.receive(t)
	if m.Type != typ {
		t.Fatalf("got %+v, want %s", m, typ)
	}
	return m
}

// expectClose reads the server's close frame and checks its status (0: a
// close frame without one); the server then closes the connection.
func (c *rawClient) expectClose(t *testing.T, code gws.StatusCode) {
	t.Helper()
	h, p := c.next(t)
	if h.OpCode != gws.OpClose {
		t.Fatalf("got a frame with opcode %v (%q), want close %d", h.OpCode, p, code)
	}
	got, reason := gws.StatusCode(0), ""
	if len(p) > 0 {
		got, reason = gws.ParseCloseFrameData(p)
	}
	if got != code {
		t.Fatalf("close status %d (%q), want %d", got, reason, code)
	}
}

// answerClose sends the client's half of the closing handshake and waits
// for the server to close the connection.
func (c *rawClient) answerClose(t *testing.T) {
	t.Helper()
	c.send(t, ctl(gws.OpClose, closeBody(gws.StatusNormalClosure, "")))
	c.expectEOF(t)
	c.c.Close()
}

// expectEOF waits for the server to close the connection, reading (and
// ignoring) nothing: any frame is a failure.
func (c *rawClient) expectEOF(t *testing.T) {
	t.Helper()
	c.c.SetReadDeadline(time.Now().Add(wait))
	var b [1]byte
	n, err := c.r.Read(b[:])
	if n > 0 {
		t.Fatalf("got %q after the close frame, want the connection closed", b[:n])
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server did not close the connection")
	}
	if err == nil {
		t.Fatal("read returned nothing and no error")
	}
}

func (c *rawClient) expectPong(t *testing.T, id string) {
	t.Helper()
	if m := c.expect(t, protocol.TypePong); m.ID != id {
		t.Fatalf("pong %+v, want id %q", m, id)
	}
}

func ping(id string) string { return `{"type":"ping","id":"` + id + `"}` }

// pingOfSize is a ping message of exactly n bytes.
func pingOfSize(n int) string {
	head := `{"type":"ping","id":"big","pad":"`
	return head + strings.Repeat("x", n-len(head)-2) + `"}`
}

// TestConformanceAccepted: what RFC 6455 allows a client to send is read as
// the message it stands for.
func TestConformanceAccepted(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "conform")
	c := s.loginRaw(t, tok)

	t.Run("fragmented text", func(t *testing.T) {
		m := ping("frag")
		c.send(t, first(gws.OpText, m[:3]), cont(m[3:10], false), cont("", false), cont(m[10:], true))
		c.expectPong(t, "frag")
	})
	t.Run("control frames between fragments", func(t *testing.T) {
		m := ping("ctl")
		c.send(t, first(gws.OpText, m[:5]),
			ctl(gws.OpPing, []byte("are you there")),
			cont(m[5:12], false),
			ctl(gws.OpPong, []byte("unsolicited")),
			ctl(gws.OpPing, nil),
			cont(m[12:], true))
		for _, want := range []string{"are you there", ""} {
			if h, p := c.next(t); h.OpCode != gws.OpPong || string(p) != want {
				t.Fatalf("got opcode %v %q, want a pong %q", h.OpCode, p, want)
			}
		}
		c.expectPong(t, "ctl")
	})
	t.Run("ping between messages", func(t *testing.T) {
		payload := bytes.Repeat([]byte{0xfe}, gws.MaxControlFramePayloadSize) // binary data is fine in a ping
		c.send(t, ctl(gws.OpPing, payload), text(ping("after")))
		if h, p := c.next(t); h.OpCode != gws.OpPong || !bytes.Equal(p, payload) {
			t.Fatalf("got opcode %v %q, want the ping's payload back", h.OpCode, p)
		}
		c.expectPong(t, "after")
	})
	t.Run("UTF-8 sequence split between fragments", func(t *testing.T) {
		m := ping("é✓")
		i := strings.Index(m, "✓") + 1 // inside the three bytes of ✓
		c.send(t, first(gws.OpText, m[:i]), cont(m[i:], true))
		c.expectPong(t, "é✓")
	})
	t.Run("several messages in one write", func(t *testing.T) {
		c.send(t, text(ping("a")), text(ping("b")), text(ping("c")))
		for _, id := range []string{"a", "b", "c"} {
			c.expectPong(t, id)
		}
	})
	t.Run("exactly 64 KiB", func(t *testing.T) {
		c.send(t, text(pingOfSize(protocol.MaxMessageBytes)))
		c.expectPong(t, "big")
	})
	t.Run("64 KiB in fragments", func(t *testing.T) {
		m := pingOfSize(protocol.MaxMessageBytes)
		c.send(t, first(gws.OpText, m[:30000]), cont(m[30000:60000], false), cont(m[60000:], true))
		c.expectPong(t, "big")
	})
	t.Run("client closes", func(t *testing.T) {
		c.send(t, ctl(gws.OpClose, closeBody(gws.StatusNormalClosure, "bye")))
		c.expectClose(t, gws.StatusNormalClosure)
		c.expectEOF(t)
	})
	waitGone(t, s)
}

// TestConformanceRefused: every violation ends the connection with the
// status RFC 6455 (and the protocol) give it, and nothing is read past it.
func TestConformanceRefused(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "refused")
	big := int64(protocol.MaxMessageBytes) + 1
	tests := []struct {
		name string
		send func(t *testing.T, c *rawClient)
		// wantError, when set, is the error message that comes first.
		wantError mangahub.ErrorCode
		want      gws.StatusCode
	}{
		{"unmasked frame", func(t *testing.T, c *rawClient) {
			c.send(t, frame{op: gws.OpText, fin: true, payload: []byte(ping("u")), unmasked: true})
		}, "", gws.StatusProtocolError},
		{"continuation without a message", func(t *testing.T, c *rawClient) {
			c.send(t, cont(ping("c"), true))
		}, "", gws.StatusProtocolError},
		{"new message inside a fragmented one", func(t *testing.T, c *rawClient) {
			c.send(t, first(gws.OpText, `{"type":`), text(ping("n")))
		}, "", gws.StatusProtocolError},
		{"reserved opcode", func(t *testing.T, c *rawClient) {
			c.send(t, frame{op: gws.OpCode(0x3), fin: true, payload: []byte("?")})
		}, "", gws.StatusProtocolError},
		{"reserved bit without an extension", func(t *testing.T, c *rawClient) {
			c.send(t, frame{op: gws.OpText, fin: true, rsv: gws.Rsv(true, false, false), payload: []byte(ping("r"))})
		}, "", gws.StatusProtocolError},
		{"fragmented ping", func(t *testing.T, c *rawClient) {
			c.send(t, frame{op: gws.OpPing, payload: []byte("x")})
		}, "", gws.StatusProtocolError},
		{"ping over 125 bytes", func(t *testing.T, c *rawClient) {
			c.send(t, ctl(gws.OpPing, make([]byte, 126)))
		}, "", gws.StatusProtocolError},
		{"close payload of one byte", func(t *testing.T, c *rawClient) {
			c.send(t, ctl(gws.OpClose, []byte{3}))
		}, "", gws.StatusProtocolError},
		{"close status that may not be sent", func(t *testing.T, c *rawClient) {
			c.send(t, ctl(gws.OpClose, closeBody(gws.StatusNoStatusRcvd, "")))
		}, "", gws.StatusProtocolError},
		{"close reason not UTF-8", func(t *testing.T, c *rawClient) {
			c.send(t, ctl(gws.OpClose, append(closeBody(gws.StatusNormalClosure, ""), 0xff, 0xfe)))
		}, "", gws.StatusInvalidFramePayloadData},
		{"text not UTF-8", func(t *testing.T, c *rawClient) {
			c.send(t, text(`{"type":"ping","id":"`+"\xc3\x28"+`"}`))
		}, "", gws.StatusInvalidFramePayloadData},
		{"fragment not UTF-8", func(t *testing.T, c *rawClient) {
			c.send(t, first(gws.OpText, `{"type":"ping",`), cont(`"id":"`+"\xff"+`"}`, true))
		}, "", gws.StatusInvalidFramePayloadData},
		{"binary message", func(t *testing.T, c *rawClient) {
			c.send(t, frame{op: gws.OpBinary, fin: true, payload: []byte(ping("b"))})
		}, mangahub.CodeInvalidJSON, gws.StatusUnsupportedData},
		{"fragmented binary message", func(t *testing.T, c *rawClient) {
			m := ping("fb")
			c.send(t, first(gws.OpBinary, m[:4]), cont(m[4:], true))
		}, mangahub.CodeInvalidJSON, gws.StatusUnsupportedData},
		{"frame over 64 KiB, refused from its header", func(t *testing.T, c *rawClient) {
			// Only the header is sent: the refusal must not wait for the
			// payload, nor need room for it.
			c.sendHeader(t, gws.OpText, true, big)
		}, mangahub.CodeMessageTooLarge, gws.StatusMessageTooBig},
		{"frame of 1 GiB", func(t *testing.T, c *rawClient) {
			c.sendHeader(t, gws.OpText, true, 1<<30)
		}, mangahub.CodeMessageTooLarge, gws.StatusMessageTooBig},
		{"fragments over 64 KiB", func(t *testing.T, c *rawClient) {
			c.send(t, first(gws.OpText, `{"type":"ping","pad":"`+strings.Repeat("x", 40<<10)))
			c.sendHeader(t, gws.OpContinuation, true, big-(40<<10))
		}, mangahub.CodeMessageTooLarge, gws.StatusMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, authed := range []bool{true, false} {
				var c *rawClient
				if authed {
					c = s.loginRaw(t, tok)
				} else {
					c = s.dialRaw(t, gws.Dialer{})
					c.expect(t, protocol.TypeAuthRequired)
					if tt.wantError == mangahub.CodeMessageTooLarge {
						continue // the hub's business, tested authenticated
					}
				}
				tt.send(t, c)
				if tt.wantError != "" {
					if m := c.expect(t, protocol.TypeError); m.Code != tt.wantError || m.Message == "" {
						t.Fatalf("error %+v, want %s with a message", m, tt.wantError)
					}
				}
				c.expectClose(t, tt.want)
				c.answerClose(t)
			}
		})
	}
	waitGone(t, s)
}

// TestCloseUnanswered: a client that never answers the close frame is
// disconnected anyway, in a bounded time.
func TestCloseUnanswered(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "mute")
	c := s.loginRaw(t, tok)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	began := time.Now()
	if err := s.env.Hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.expect(t, protocol.TypeShutdown)
	c.expectClose(t, gws.StatusGoingAway)
	c.expectEOF(t)
	if d := time.Since(began); d > 4*time.Second {
		t.Fatalf("closing took %v", d)
	}
}

// TestNoCompression: permessage-deflate is not negotiated even when offered
// (its state would cost tens of KiB per connection).
func TestNoCompression(t *testing.T) {
	s := start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, s.wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("server accepted extensions %q", ext)
	}
	w := &wsClient{c: c}
	w.expect(t, protocol.TypeAuthRequired)
}

// waitGone waits for every connection to leave the hub: closed connections
// must not linger.
func waitGone(t *testing.T, s *testServer) {
	t.Helper()
	eventually(t, "every connection has left the hub", func() bool { return s.env.Hub.ActiveConnections() == 0 })
}
