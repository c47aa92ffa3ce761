package baseline

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, r: bufio.NewReader(c)}
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(line + "\n")); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) expect(prefix string) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", prefix, err)
	}
	if !strings.HasPrefix(line, prefix) {
		c.t.Fatalf("got %q, want a line starting with %s", line, prefix)
	}
}

func TestHandshakeAndPing(t *testing.T) {
	s, addr := start(t)
	c := dial(t, addr)
	c.expect(`{"type":"auth_required","protocol":1}`)
	c.send(`{"type":"auth","id":"a1","token":"anything"}`)
	c.expect(`{"type":"auth_ok","id":"a1","user_id":"baseline"`)
	c.send(`{"type":"ping","id":"p\"1"}`)
	c.expect(`{"type":"pong","id":"p\"1"}`)
	if n := s.Active(); n != 1 {
		t.Errorf("Active = %d, want 1", n)
	}
}

func TestRefusesBeforeAuth(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"other type", `{"type":"ping"}`, `{"type":"error","code":"unauthenticated"`},
		{"not JSON", `hello`, `{"type":"error","code":"invalid_json"`},
		{"auth without token", `{"type":"auth"}`, `{"type":"error","code":"unauthenticated"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := start(t)
			c := dial(t, addr)
			c.expect(`{"type":"auth_required"`)
			c.send(tt.line)
			c.expect(tt.want)
			c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.r.ReadByte(); err == nil {
				t.Error("connection still open after the refusal")
			}
		})
	}
}

func TestRefusesLongLines(t *testing.T) {
	_, addr := start(t)
	c := dial(t, addr)
	c.expect(`{"type":"auth_required"`)
	go c.c.Write([]byte(strings.Repeat("x", maxLine+10) + "\n"))
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("connection still open after a line over the limit")
	}
}
