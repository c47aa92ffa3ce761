package ws_test

import (
	"context"
	"encoding/json"
	"github.com/mangahub/mangahub/internal/testenv"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/tcpsync"
	"github.com/mangahub/mangahub/internal/ws"
)

const wait = 5 * time.Second

type testServer struct {
	env     *hubtest.Env
	wsURL   string
	tcpAddr string
}

// start serves /ws and TCP over one hub.
func start(t *testing.T, opts hubtest.Options) *testServer {
	t.Helper()
	return startConfig(t, opts, ws.Config{})
}

func startConfig(t *testing.T, opts hubtest.Options, cfg ws.Config) *testServer {
	t.Helper()
	env := hubtest.New(t, opts)
	web := httptest.NewServer(ws.NewHandler(env.Hub, cfg, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp := tcpsync.NewServer(env.Hub, tcpsync.Config{}, nil)
	go tcp.Serve(ln)
	t.Cleanup(func() {
		tcp.Shutdown(context.Background())
		web.Close()
	})
	return &testServer{env: env, wsURL: "ws" + strings.TrimPrefix(web.URL, "http"), tcpAddr: ln.Addr().String()}
}

type wsClient struct{ c *websocket.Conn }

func (s *testServer) dialWS(t *testing.T) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{c: c}
}

func (s *testServer) loginWS(t *testing.T, token string) (*wsClient, protocol.ServerMessage) {
	t.Helper()
	w := s.dialWS(t)
	w.expect(t, protocol.TypeAuthRequired)
	w.send(t, protocol.AuthMessage{Type: protocol.TypeAuth, Token: token})
	return w, w.expect(t, protocol.TypeAuthOK)
}

func (s *testServer) loginTCP(t *testing.T, token string) *protocol.LineClient {
	t.Helper()
	c, err := protocol.DialLine(s.tcpAddr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Authenticate(token, wait); err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *wsClient) sendRaw(t *testing.T, b []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (w *wsClient) send(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	w.sendRaw(t, b)
}

func (w *wsClient) receive(t *testing.T) protocol.ServerMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("server sent a %v message", typ)
	}
	if strings.HasSuffix(string(b), "\n") {
		t.Fatalf("WebSocket message ends with a newline: %q", b)
	}
	var m protocol.ServerMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("server sent %q: %v", b, err)
	}
	return m
}

func (w *wsClient) expect(t *testing.T, typ string) protocol.ServerMessage {
	t.Helper()
	m := w.receive(t)
	if m.Type != typ {
		t.Fatalf("got %+v, want %s", m, typ)
	}
	return m
}

func (w *wsClient) expectError(t *testing.T, code mangahub.ErrorCode, id string) {
	t.Helper()
	m := w.receive(t)
	if m.Type != protocol.TypeError || m.Code != code || m.ID != id || m.Message == "" {
		t.Fatalf("got %+v, want error %s with id %q", m, code, id)
	}
}

// expectClosed reads until the server's close frame and checks its status.
func (w *wsClient) expectClosed(t *testing.T, status websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err == nil {
		t.Fatalf("got %s, want the connection closed", b)
	}
	if got := websocket.CloseStatus(err); got != status {
		t.Fatalf("closed with %v (%v), want status %v", got, err, status)
	}
}

func (w *wsClient) expectQuiet(t *testing.T) {
	t.Helper()
	w.send(t, protocol.SimpleMessage{Type: protocol.TypePing, ID: "quiet"})
	if m := w.receive(t); m.Type != protocol.TypePong || m.ID != "quiet" {
		t.Fatalf("got %+v, want only the pong", m)
	}
}

func expectTCP(t *testing.T, c *protocol.LineClient, typ string) protocol.ServerMessage {
	t.Helper()
	m, err := c.Receive(wait)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != typ {
		t.Fatalf("got %+v, want %s", m, typ)
	}
	return m
}

func quietTCP(t *testing.T, c *protocol.LineClient) {
	t.Helper()
	if err := c.Send(protocol.SimpleMessage{Type: protocol.TypePing, ID: "quiet"}); err != nil {
		t.Fatal(err)
	}
	if m := expectTCP(t, c, protocol.TypePong); m.ID != "quiet" {
		t.Fatalf("pong = %+v", m)
	}
}

// TestCrossTransport: two TCP connections and one WebSocket of the same
// user see each other's changes and not their own; another user sees
// nothing.
func TestCrossTransport(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "alice")
	_, otherTok := s.env.User(t, "bob")
	t1, t2 := s.loginTCP(t, tok), s.loginTCP(t, tok)
	w, ok := s.loginWS(t, tok)
	if ok.ConnectionID == "" || ok.Username != "alice" {
		t.Fatalf("auth_ok = %+v", ok)
	}
	bob, _ := s.loginWS(t, otherTok)
	manga := s.env.MangaID

	w.send(t, protocol.ProgressUpdateMessage{Type: protocol.TypeProgressUpdate, ID: "w1", MangaID: manga, Chapter: 3})
	if ack := w.expect(t, protocol.TypeAck); ack.ID != "w1" || !ack.Applied || ack.Progress.Chapter != 3 {
		t.Fatalf("ack = %+v", ack)
	}
	for _, c := range []*protocol.LineClient{t1, t2} {
		if m := expectTCP(t, c, protocol.TypeProgressBroadcast); m.Source != mangahub.SourceWS || m.Progress.Chapter != 3 {
			t.Fatalf("broadcast over TCP = %+v", m)
		}
	}
	w.expectQuiet(t)

	if err := t1.Send(protocol.ProgressUpdateMessage{Type: protocol.TypeProgressUpdate, ID: "t1", MangaID: manga, Chapter: 4}); err != nil {
		t.Fatal(err)
	}
	expectTCP(t, t1, protocol.TypeAck)
	if m := expectTCP(t, t2, protocol.TypeProgressBroadcast); m.Source != mangahub.SourceTCP || m.Progress.Chapter != 4 {
		t.Fatalf("broadcast to the other TCP connection = %+v", m)
	}
	if m := w.expect(t, protocol.TypeProgressBroadcast); m.Source != mangahub.SourceTCP || m.Progress.Chapter != 4 || m.Progress.Version != 2 {
		t.Fatalf("broadcast over WebSocket = %+v", m)
	}
	quietTCP(t, t1)
	bob.expectQuiet(t)
}

func TestWebSocketRequests(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "carol")
	w, _ := s.loginWS(t, tok)
	w.send(t, protocol.GetProgressMessage{Type: protocol.TypeGetProgress, ID: "g", MangaID: s.env.MangaID})
	if m := w.expect(t, protocol.TypeProgress); m.ID != "g" || m.Progress != nil {
		t.Fatalf("get = %+v", m)
	}
	w.send(t, protocol.SimpleMessage{Type: protocol.TypeListProgress, ID: "l"})
	if m := w.expect(t, protocol.TypeProgressList); m.ID != "l" || len(m.Items) != 0 {
		t.Fatalf("list = %+v", m)
	}
	// Errors that answer one request keep the connection.
	w.sendRaw(t, []byte("not json"))
	w.expectError(t, mangahub.CodeInvalidJSON, "")
	w.sendRaw(t, []byte(`{"type":"nope","id":"n"}`))
	w.expectError(t, mangahub.CodeUnknownType, "n")
	w.send(t, protocol.ProgressUpdateMessage{Type: protocol.TypeProgressUpdate, ID: "m", MangaID: s.env.MangaID + 99, Chapter: 1})
	w.expectError(t, mangahub.CodeMangaNotFound, "m")
	w.expectQuiet(t)
}

// TestWebSocketClosing covers the errors that end a connection and the
// close status that follows them.
func TestWebSocketClosing(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{MaxConnsPerUser: 2}})
	_, tok := s.env.User(t, "dave")

	t.Run("unauthenticated", func(t *testing.T) {
		w := s.dialWS(t)
		w.expect(t, protocol.TypeAuthRequired)
		w.send(t, protocol.SimpleMessage{Type: protocol.TypePing, ID: "early"})
		w.expectError(t, mangahub.CodeUnauthenticated, "early")
		w.expectClosed(t, websocket.StatusPolicyViolation)
	})
	t.Run("not JSON before auth", func(t *testing.T) {
		w := s.dialWS(t)
		w.expect(t, protocol.TypeAuthRequired)
		w.sendRaw(t, []byte("hello"))
		w.expectError(t, mangahub.CodeUnauthenticated, "")
		w.expectClosed(t, websocket.StatusPolicyViolation)
	})
	t.Run("auth failed", func(t *testing.T) {
		w := s.dialWS(t)
		w.expect(t, protocol.TypeAuthRequired)
		w.send(t, protocol.AuthMessage{Type: protocol.TypeAuth, Token: tok + "x"})
		w.expectError(t, mangahub.CodeAuthFailed, "")
		w.expectClosed(t, websocket.StatusPolicyViolation)
	})
	t.Run("message too large", func(t *testing.T) {
		w, _ := s.loginWS(t, tok)
		w.sendRaw(t, []byte(`{"type":"ping","pad":"`+strings.Repeat("x", protocol.MaxMessageBytes)+`"}`))
		w.expectError(t, mangahub.CodeMessageTooLarge, "")
		w.expectClosed(t, websocket.StatusMessageTooBig)
	})
	t.Run("too many connections", func(t *testing.T) {
		// The connections closed above leave the hub when their close
		// handshakes end; only then is the user's count back to zero.
		deadline := time.Now().Add(10 * time.Second)
		for s.env.Hub.ActiveConnections() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections still registered", s.env.Hub.ActiveConnections())
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.loginWS(t, tok)
		s.loginWS(t, tok)
		w := s.dialWS(t)
		w.expect(t, protocol.TypeAuthRequired)
		w.send(t, protocol.AuthMessage{Type: protocol.TypeAuth, Token: tok})
		w.expectError(t, mangahub.CodeTooManyConnections, "")
		w.expectClosed(t, websocket.StatusTryAgainLater)
	})
	var m dto.Metric
	if err := s.env.Metrics.AuthFailures.WithLabelValues("ws").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 1 {
		t.Fatalf("ws auth failures = %v, want 1", got)
	}
}

func TestWebSocketTimeouts(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{AuthTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}})
	_, tok := s.env.User(t, "erin")
	t.Run("auth timeout", func(t *testing.T) {
		w := s.dialWS(t)
		w.expect(t, protocol.TypeAuthRequired)
		w.expectError(t, mangahub.CodeUnauthenticated, "")
		w.expectClosed(t, websocket.StatusPolicyViolation)
	})
	t.Run("idle timeout", func(t *testing.T) {
		w, _ := s.loginWS(t, tok)
		w.expectError(t, protocol.CodeIdleTimeout, "")
		w.expectClosed(t, websocket.StatusPolicyViolation)
	})
}

func TestWebSocketShutdown(t *testing.T) {
	s := start(t, hubtest.Options{})
	_, tok := s.env.User(t, "frank")
	w, _ := s.loginWS(t, tok)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.env.Hub.Shutdown(ctx) }()
	if m := w.expect(t, protocol.TypeShutdown); m.Message == "" {
		t.Fatalf("shutdown without a message: %+v", m)
	}
	w.expectClosed(t, websocket.StatusGoingAway)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds, failing the test after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, wait, what, cond)
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
