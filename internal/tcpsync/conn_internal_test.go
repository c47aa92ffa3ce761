package tcpsync

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/hub"
)

// pipes returns connected server and client ends: a real TCP pair (the
// buffer-less RawConn path) and net.Pipe (plain reads).
func pipes(t *testing.T) map[string]func() (net.Conn, net.Conn) {
	t.Helper()
	return map[string]func() (net.Conn, net.Conn){
		"tcp": func() (net.Conn, net.Conn) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.Close(); server.Close() })
			return server, client
		},
		"pipe": func() (net.Conn, net.Conn) {
			server, client := net.Pipe()
			t.Cleanup(func() { client.Close(); server.Close() })
			return server, client
		},
	}
}

func TestFraming(t *testing.T) {
	for name, pipe := range pipes(t) {
		t.Run(name, func(t *testing.T) {
			server, client := pipe()
			c := newConn(server, Config{MaxLineBytes: 10 << 10, WriteTimeout: time.Second})
			if name == "tcp" && c.raw == nil {
				t.Fatal("TCP connection without RawConn reads")
			}
			long := strings.Repeat("L", 9<<10) // grows past one pooled chunk
			input := "one\r\n\n   \r\ntwo\n" + long + "\nthree\n"
			go func() {
				// Byte by byte at first, then the rest at once.
				for i := range 8 {
					client.Write([]byte{input[i]})
				}
				client.Write([]byte(input[8:]))
			}()
			for _, want := range []string{"one", "two", long, "three"} {
				got, err := c.ReadMessage(time.Now().Add(5 * time.Second))
				if err != nil {
					t.Fatalf("ReadMessage: %v", err)
				}
				if string(got) != want {
					t.Fatalf("ReadMessage = %.20q (%d bytes), want %.20q (%d bytes)", got, len(got), want, len(want))
				}
			}
			// Everything handed out: a waiting connection holds no buffer.
			if _, err := c.ReadMessage(time.Now().Add(20 * time.Millisecond)); !errors.Is(err, hub.ErrReadTimeout) {
				t.Fatalf("ReadMessage on silence = %v, want ErrReadTimeout", err)
			}
			if c.buf != nil {
				t.Fatalf("idle connection holds a %d-byte buffer", cap(*c.buf))
			}
		})
	}
}

func TestFramingTooLarge(t *testing.T) {
	for name, pipe := range pipes(t) {
		t.Run(name, func(t *testing.T) {
			server, client := pipe()
			c := newConn(server, Config{MaxLineBytes: 100, WriteTimeout: time.Second})
			// No newline ever comes: the limit is noticed without it.
			go client.Write([]byte(strings.Repeat("x", 300)))
			if _, err := c.ReadMessage(time.Now().Add(5 * time.Second)); !errors.Is(err, hub.ErrMessageTooLarge) {
				t.Fatalf("ReadMessage = %v, want ErrMessageTooLarge", err)
			}
		})
	}
}

func TestFramingLimitIsInclusive(t *testing.T) {
	server, client := pipes(t)["tcp"]()
	c := newConn(server, Config{MaxLineBytes: 100, WriteTimeout: time.Second})
	go client.Write([]byte(strings.Repeat("x", 100) + "\r\n" + strings.Repeat("y", 101) + "\n"))
	if got, err := c.ReadMessage(time.Now().Add(5 * time.Second)); err != nil || len(got) != 100 {
		t.Fatalf("100-byte line: %d bytes, %v", len(got), err)
	}
	if _, err := c.ReadMessage(time.Now().Add(5 * time.Second)); !errors.Is(err, hub.ErrMessageTooLarge) {
		t.Fatalf("101-byte line: %v, want ErrMessageTooLarge", err)
	}
}

// tempErrListener fails Accept with a temporary error a few times.
type tempErrListener struct {
	net.Listener
	failures int
}

type tempErr struct{}

func (tempErr) Error() string   { return "too many open files" }
func (tempErr) Temporary() bool { return true }
func (tempErr) Timeout() bool   { return false }

func (l *tempErrListener) Accept() (net.Conn, error) {
	if l.failures > 0 {
		l.failures--
		return nil, tempErr{}
	}
	return l.Listener.Accept()
}

// TestAcceptBackoff: temporary accept errors are retried, not fatal.
func TestAcceptBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.Config{}, nil, nil, nopBus{}, nil, nil)
	s := NewServer(h, Config{}, nil)
	served := make(chan error, 1)
	go func() { served <- s.Serve(&tempErrListener{Listener: ln, failures: 3}) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 128)
	n, err := c.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "auth_required") {
		t.Fatalf("no greeting after temporary accept errors: %q, %v", buf[:n], err)
	}
	s.Shutdown(t.Context())
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
	if err := h.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}
