package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/mangahub/mangahub/tools/load/internal/wire"
)

// maxServerMessage bounds what the load client reads of one server message.
const maxServerMessage = 16 << 20

// WSClient is a WebSocket sync connection of the load tools: text messages
// of JSON over gobwas/ws, a small client that holds nothing but its socket
// between messages, so that a worker process can hold thousands.
type WSClient struct {
	conn net.Conn
	rw   io.ReadWriter // reads through the handshake's leftover bytes first
}

type readWriter struct {
	io.Reader
	io.Writer
}

// CheckWSURL refuses a WebSocket URL that is not ws:// on loopback.
func CheckWSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "ws" {
		return fmt.Errorf("%q: want ws://host:port/path", raw)
	}
	return CheckLoopback(u.Host)
}

// DialIdleWS is the WebSocket IdleDialer: addr is a ws:// URL. It connects,
// reads the greeting, authenticates and waits for auth_ok.
func DialIdleWS(ctx context.Context, addr string, src netip.Addr, token string, timeout time.Duration) (IdleConn, error) {
	c, err := DialWS(ctx, addr, src, timeout)
	if err != nil {
		return nil, err
	}
	if err := c.authenticate(token, timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// DialWS opens a WebSocket connection from src (the zero Addr: any).
func DialWS(ctx context.Context, rawURL string, src netip.Addr, timeout time.Duration) (*WSClient, error) {
	nd := net.Dialer{Timeout: timeout}
	if src.IsValid() {
		nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	d := ws.Dialer{Timeout: timeout, NetDial: nd.DialContext}
	conn, br, _, err := d.Dial(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	c := &WSClient{conn: conn, rw: conn}
	if br != nil {
		// The server wrote behind its 101; those bytes are in br. Read
		// through it until it is drained, then drop it (not back to
		// gobwas's pool: a Receive under way may still hold it).
		c.rw = readWriter{&drainingReader{br: br, c: c}, conn}
	}
	return c, nil
}

// drainingReader reads br's buffered bytes, then the bare connection, and
// lets its client drop it.
type drainingReader struct {
	br *bufio.Reader // nil once drained
	c  *WSClient
}

func (d *drainingReader) Read(p []byte) (int, error) {
	if d.br != nil && d.br.Buffered() > 0 {
		return d.br.Read(p)
	}
	d.br = nil
	d.c.rw = d.c.conn
	return d.c.conn.Read(p)
}

// Send writes v as one masked text message.
func (c *WSClient) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return wsutil.WriteClientText(c.conn, b)
}

// Receive reads the next text message within timeout, answering control
// frames on the way.
func (c *WSClient) Receive(timeout time.Duration) (wire.Message, error) {
	var m wire.Message
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return m, err
	}
	rd := wsutil.Reader{
		Source: c.rw, State: ws.StateClientSide, CheckUTF8: true, MaxMessageSize: maxServerMessage,
		OnIntermediate: wsutil.ControlFrameHandler(c.conn, ws.StateClientSide),
	}
	for {
		h, err := rd.NextFrame()
		if err != nil {
			return m, err
		}
		if h.OpCode.IsControl() {
			if err := wsutil.ControlFrameHandler(c.conn, ws.StateClientSide)(h, &rd); err != nil {
				return m, err
			}
			continue
		}
		b, err := io.ReadAll(&rd)
		if err != nil {
			return m, err
		}
		if h.OpCode != ws.OpText {
			return m, fmt.Errorf("server sent a %v message", h.OpCode)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return m, fmt.Errorf("server sent %q: %w", b, err)
		}
		return m, nil
	}
}

// authenticate reads the greeting, sends auth and waits for auth_ok. A
// refusal is a *wire.ServerError with the server's code.
func (c *WSClient) authenticate(token string, timeout time.Duration) error {
	m, err := c.Receive(timeout)
	if err != nil {
		return err
	}
	if m.Type != wire.TypeAuthRequired {
		return fmt.Errorf("greeting: got %q", m.Type)
	}
	if err := c.Send(wire.Request{Type: wire.TypeAuth, Token: token}); err != nil {
		return err
	}
	if m, err = c.Receive(timeout); err != nil {
		return err
	}
	switch m.Type {
	case wire.TypeAuthOK:
		// Receive left a read deadline behind; the connection lives on.
		return c.conn.SetReadDeadline(time.Time{})
	case wire.TypeError:
		return &wire.ServerError{Code: m.Code, Message: m.Message}
	}
	return fmt.Errorf("auth: got %q", m.Type)
}

// Ping sends a ping request and waits for its pong.
func (c *WSClient) Ping(id string, timeout time.Duration) bool {
	if err := c.Send(wire.Request{Type: wire.TypePing, ID: id}); err != nil {
		return false
	}
	for {
		m, err := c.Receive(timeout)
		if err != nil {
			return false
		}
		if m.Type == wire.TypePong && m.ID == id {
			return true
		}
		if m.Type == wire.TypeError || m.Type == wire.TypeShutdown {
			return false
		}
	}
}

// Close drops the connection.
func (c *WSClient) Close() error { return c.conn.Close() }
