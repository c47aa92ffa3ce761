package tcpsync_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/tcpsync"
)

// wait bounds every expected event; tests poll or block until then.
const wait = 5 * time.Second

type testServer struct {
	env    *hubtest.Env
	srv    *tcpsync.Server
	addr   string
	served chan error
}

// start runs a TCP sync server over a fresh environment on 127.0.0.1:0.
func start(t *testing.T, opts hubtest.Options, cfg tcpsync.Config) *testServer {
	t.Helper()
	env := hubtest.New(t, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{env: env, srv: tcpsync.NewServer(env.Hub, cfg, nil), addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { s.served <- s.srv.Serve(ln) }()
	// Cleanups run last-registered first: stop accepting, then the hub.
	t.Cleanup(func() { s.srv.Shutdown(context.Background()) })
	return s
}

func (s *testServer) dial(t *testing.T) *protocol.LineClient {
	t.Helper()
	c, err := protocol.DialLine(s.addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// login opens a connection and authenticates it with token.
func (s *testServer) login(t *testing.T, token string) (*protocol.LineClient, protocol.ServerMessage) {
	t.Helper()
	c := s.dial(t)
	m, err := c.Authenticate(token, wait)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return c, m
}

// user creates a user and returns it with an authenticated connection.
func (s *testServer) user(t *testing.T, name string) (*mangahub.User, string, *protocol.LineClient) {
	t.Helper()
	u, tok := s.env.User(t, name)
	c, _ := s.login(t, tok)
	return u, tok, c
}

func send(t *testing.T, c *protocol.LineClient, v any) {
	t.Helper()
	if err := c.Send(v); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func receive(t *testing.T, c *protocol.LineClient) protocol.ServerMessage {
	t.Helper()
	m, err := c.Receive(wait)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return m
}

func expectType(t *testing.T, c *protocol.LineClient, typ string) protocol.ServerMessage {
	t.Helper()
	m := receive(t, c)
	if m.Type != typ {
		t.Fatalf("got %+v, want type %s", m, typ)
	}
	return m
}

func expectError(t *testing.T, c *protocol.LineClient, code mangahub.ErrorCode, id string) protocol.ServerMessage {
	t.Helper()
	m := receive(t, c)
	if m.Type != protocol.TypeError || m.Code != code || m.ID != id {
		t.Fatalf("got %+v, want error %s with id %q", m, code, id)
	}
	if m.Message == "" {
		t.Fatalf("error %s without a message", code)
	}
	return m
}

// expectClosed reads until the server closes; any further message fails.
func expectClosed(t *testing.T, c *protocol.LineClient) {
	t.Helper()
	line, err := c.ReceiveRaw(wait)
	if err == nil {
		t.Fatalf("got %s, want the connection closed", line)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("got %v, want the connection closed", err)
	}
}

// expectQuiet proves that nothing was queued for c: a ping's pong is the
// next message.
func expectQuiet(t *testing.T, c *protocol.LineClient) {
	t.Helper()
	send(t, c, protocol.SimpleMessage{Type: protocol.TypePing, ID: "quiet"})
	if m := receive(t, c); m.Type != protocol.TypePong || m.ID != "quiet" {
		t.Fatalf("got %+v, want only the pong", m)
	}
}

func update(mangaID int64, chapter int, id string) protocol.ProgressUpdateMessage {
	return protocol.ProgressUpdateMessage{Type: protocol.TypeProgressUpdate, ID: id, MangaID: mangaID, Chapter: chapter}
}

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
