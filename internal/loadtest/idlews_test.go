package loadtest

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/loadtest/baseline"
	"github.com/mangahub/mangahub/internal/ws"
)

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") + "/ws" }

// TestIdleHolderWebSocket: the WebSocket holder authenticates against the
// real handler, the connections stay registered, and each answers a ping.
func TestIdleHolderWebSocket(t *testing.T) {
	env := hubtest.New(t, hubtest.Options{})
	_, tok1 := env.User(t, "idle1")
	_, tok2 := env.User(t, "idle2")
	srv := httptest.NewServer(ws.NewHandler(env.Hub, ws.Config{}, nil))
	t.Cleanup(srv.Close)

	h := &IdleHolder{Addr: wsURL(srv.URL), Tokens: []string{tok1, tok2}, Count: 10, Concurrency: 3, Timeout: 5 * time.Second, Dial: DialIdleWS}
	rep := h.Open(t.Context())
	defer h.Close()
	if rep.Opened != 10 || rep.Failed != 0 || len(rep.HandshakeUS) != 10 {
		t.Fatalf("open report = %+v, want 10 opened", rep)
	}
	if n := env.Hub.ActiveConnections(); n != 10 {
		t.Fatalf("hub holds %d connections, want 10", n)
	}
	if check := h.Check(t.Context()); check != (CheckReport{Alive: 10}) {
		t.Fatalf("check = %+v, want 10 alive", check)
	}
	// A refused token is counted by its code.
	bad := &IdleHolder{Addr: wsURL(srv.URL), Tokens: []string{tok1 + "x"}, Count: 2, Concurrency: 2, Timeout: 5 * time.Second, Dial: DialIdleWS}
	rep = bad.Open(t.Context())
	defer bad.Close()
	if rep.Opened != 0 || rep.Codes["auth_failed"] != 2 {
		t.Fatalf("report = %+v, want 2 failures coded auth_failed", rep)
	}
}

// TestIdleHolderWebSocketBaseline: the same client against the textbook
// WebSocket server.
func TestIdleHolderWebSocketBaseline(t *testing.T) {
	b := baseline.NewWS()
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })

	h := &IdleHolder{Addr: wsURL(srv.URL), Tokens: []string{"t"}, Count: 8, Concurrency: 4, Timeout: 5 * time.Second, Dial: DialIdleWS}
	rep := h.Open(t.Context())
	if rep.Opened != 8 || rep.Failed != 0 {
		t.Fatalf("open report = %+v, want 8 opened", rep)
	}
	if n := b.Active(); n != 8 {
		t.Fatalf("baseline holds %d connections, want 8", n)
	}
	if check := h.Check(t.Context()); check != (CheckReport{Alive: 8}) {
		t.Fatalf("check = %+v, want 8 alive", check)
	}
	m, err := ServerMetrics(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes"} {
		if m[name] <= 0 {
			t.Errorf("baseline /metrics: %s = %v", name, m[name])
		}
	}
	h.Close()
	deadline := time.Now().Add(5 * time.Second)
	for b.Active() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("baseline still holds %d connections after the clients left", b.Active())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
