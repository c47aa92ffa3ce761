package loadtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mangahub/mangahub/tools/load/internal/baseline"
)

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") + "/ws" }

// refusingWS is a WebSocket server that greets, reads the auth message and
// refuses it with auth_failed, as MangaHub does for a bad token.
func refusingWS(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if c.Write(ctx, websocket.MessageText, []byte(`{"type":"auth_required","protocol":1}`)) != nil {
			return
		}
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
		c.Write(ctx, websocket.MessageText, []byte(`{"type":"error","code":"auth_failed","message":"invalid token"}`))
		c.Close(websocket.StatusPolicyViolation, "auth_failed")
	}))
	t.Cleanup(srv.Close)
	return wsURL(srv.URL)
}

// TestIdleHolderWebSocketRefused: a refused handshake is counted by its code.
func TestIdleHolderWebSocketRefused(t *testing.T) {
	bad := &IdleHolder{Addr: refusingWS(t), Tokens: []string{"t"}, Count: 2, Concurrency: 2, Timeout: 5 * time.Second, Dial: DialIdleWS}
	rep := bad.Open(t.Context())
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
