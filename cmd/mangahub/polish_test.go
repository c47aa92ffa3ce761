package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// dialOrigin opens /ws of p with origin as the Origin header ("" sends none)
// and returns the connection, or the HTTP status of the refused handshake.
func dialOrigin(t *testing.T, p *proc, origin string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if origin != "" {
		opts.HTTPHeader.Set("Origin", origin)
	}
	c, res, err := websocket.Dial(ctx, strings.Replace(p.httpBase, "http://", "ws://", 1)+"/ws", opts)
	if err != nil {
		if res == nil {
			t.Fatalf("dial with Origin %q: %v", origin, err)
		}
		return nil, res.StatusCode
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, http.StatusSwitchingProtocols
}

// TestWebSocketOrigins: browser pages of other sites cannot open /ws
// unless MANGAHUB_ALLOWED_ORIGINS lists them; the page's own origin and
// clients that send no Origin always can.
func TestWebSocketOrigins(t *testing.T) {
	def := start(t, "MANGAHUB_DATA_DIR="+t.TempDir())
	allowing := start(t, "MANGAHUB_DATA_DIR="+t.TempDir(), "MANGAHUB_ALLOWED_ORIGINS=app.example.com, https://*.example.org")
	for _, tt := range []struct {
		name   string
		p      *proc
		origin string
		status int
	}{
		{"default: no Origin", def, "", http.StatusSwitchingProtocols},
		{"default: same origin", def, def.httpBase, http.StatusSwitchingProtocols},
		{"default: another site", def, "http://app.example.com", http.StatusForbidden},
		{"allowed host", allowing, "https://app.example.com", http.StatusSwitchingProtocols},
		{"allowed scheme and wildcard", allowing, "https://reader.example.org", http.StatusSwitchingProtocols},
		{"wildcard with the wrong scheme", allowing, "http://reader.example.org", http.StatusForbidden},
		{"a site not listed", allowing, "https://evil.example.com", http.StatusForbidden},
		{"same origin still", allowing, allowing.httpBase, http.StatusSwitchingProtocols},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, status := dialOrigin(t, tt.p, tt.origin); status != tt.status {
				t.Errorf("Origin %q: status %d, want %d", tt.origin, status, tt.status)
			}
		})
	}
}

// TestWebSocketAcksSayWhy: over WebSocket as over HTTP and TCP, an update
// that is not applied says why.
func TestWebSocketAcksSayWhy(t *testing.T) {
	p := start(t, "MANGAHUB_DATA_DIR="+t.TempDir())
	tk := registerAndLogin(t, p.httpBase, "wren")
	c, status := dialOrigin(t, p, "")
	if c == nil {
		t.Fatalf("handshake answered %d", status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	read := func() map[string]any {
		t.Helper()
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	send := func(s string) {
		t.Helper()
		if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	read() // auth_required
	send(fmt.Sprintf(`{"type":"auth","token":%q}`, tk.AccessToken))
	if m := read(); m["type"] != "auth_ok" {
		t.Fatalf("auth: %v", m)
	}
	for _, step := range []struct {
		chapter int
		applied bool
		reason  any
	}{
		{10, true, nil},
		{10, false, "unchanged"},
		{4, false, "backwards"},
	} {
		send(fmt.Sprintf(`{"type":"progress_update","id":"u","manga_id":1,"chapter":%d}`, step.chapter))
		m := read()
		if m["type"] != "ack" || m["applied"] != step.applied || m["reason"] != step.reason {
			t.Errorf("chapter %d: ack %v, want applied %v, reason %v", step.chapter, m, step.applied, step.reason)
		}
	}
}

// readmeWalkthrough is the shell block of the README's curl walk-through.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## A walk through with curl")
	if !ok {
		t.Fatal("README has no curl walk-through")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the walk-through's shell block is not closed")
	}
	return block
}

// TestReadmeWalkthrough runs the README's curl walk-through against a real
// server, with jq and without it: it works, and a rate-limited login shows
// the server's answer instead of sending garbage as a token.
func TestReadmeWalkthrough(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sed", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	script := readmeWalkthrough(t)
	// A PATH without jq: the fallback.
	noJQ := t.TempDir()
	for _, tool := range []string{"curl", "sed"} {
		path, _ := exec.LookPath(tool)
		if err := os.Symlink(path, filepath.Join(noJQ, tool)); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, p *proc, path string) string {
		t.Helper()
		sh, _ := exec.LookPath("sh")
		cmd := exec.Command(sh, "-c", strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(p.httpBase, "http://")))
		cmd.Env = []string{"PATH=" + path}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("walk-through: %v\n%s", err, out)
		}
		return string(out)
	}
	for _, path := range []string{os.Getenv("PATH"), noJQ} {
		t.Run("PATH="+path, func(t *testing.T) {
			p := start(t, "MANGAHUB_DATA_DIR="+t.TempDir())
			out := run(t, p, path)
			if strings.Contains(out, "login failed") || !strings.Contains(out, `"chapter":12`) ||
				!strings.Contains(out, `"manga":{"id":1,`) || !strings.Contains(out, "Pokémon Adventures") {
				t.Errorf("walk-through output:\n%s", out)
			}

			// One login an hour per address: the first walk-through spends
			// it, the second is refused.
			limited := start(t, "MANGAHUB_DATA_DIR="+t.TempDir(), "MANGAHUB_AUTH_RATE_LIMIT=1/h,burst=1")
			if out := run(t, limited, path); strings.Contains(out, "login failed") {
				t.Fatalf("the first login failed:\n%s", out)
			}
			out = run(t, limited, path)
			if !strings.Contains(out, "login failed: {") || !strings.Contains(out, `"code":"rate_limited"`) {
				t.Errorf("walk-through with a rate-limited login does not show why:\n%s", out)
			}
			if strings.Contains(out, "Bearer {") || strings.Contains(out, "Bearer rate") {
				t.Errorf("the problem was sent as a token:\n%s", out)
			}
		})
	}
}
