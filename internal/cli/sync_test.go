package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/cli"
	"github.com/mangahub/mangahub/internal/testenv"
)

// watch runs `mangahub sync watch` for u until the test ends, and returns
// its output as it comes.
func (u *user) watch(t *testing.T, tcp string, extra ...string) (stdout, stderr *lines) {
	t.Helper()
	stdout, stderr = newLines(), newLines()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- cli.Run(ctx, cli.Env{
			Args:   append([]string{"sync", "watch", "--tcp", tcp}, extra...),
			Getenv: func(k string) string { return u.env[k] }, Stdout: stdout, Stderr: stderr,
			ConfigDir: u.configDir,
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 || stderr.String() != "" {
				t.Errorf("sync watch ended with exit %d, stderr %q; want 0 and nothing", c, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("sync watch did not end within 10s of its context")
		}
	})
	return stdout, stderr
}

// tcpConnections is the server's count of live sync connections (/readyz).
func tcpConnections(t *testing.T, ts *testServer) int {
	t.Helper()
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var body struct {
		Components struct {
			TCP struct {
				Active int `json:"active_connections"`
			} `json:"tcp"`
		} `json:"components"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return -1
	}
	return body.Components.TCP.Active
}

// sync watch prints the changes made elsewhere, and goes on after the
// server restarts, with a refreshed token once the old one expired.
func TestSyncWatch(t *testing.T) {
	ts := startServer(t, t.TempDir(), map[string]string{"MANGAHUB_ACCESS_TOKEN_TTL": "3s"})
	u := newUser(t, ts)
	u.signUp("erin")
	// A second device of the same user: its own session.
	phone := newUser(t, ts)
	phone.must("erin password\n", "login", "--username", "erin", "--password-stdin")

	text, _ := u.watch(t, ts.TCP)
	jsonOut, _ := u.watch(t, ts.TCP, "--json")
	text.await(t, 10*time.Second, 0, "connected to "+ts.TCP+" as erin")
	testenv.Eventually(t, 10*time.Second, "both watches to connect", func() bool { return tcpConnections(t, ts) == 2 })

	phone.must("", "progress", "set", "1", "5")
	text.await(t, 10*time.Second, 0, "updated", "#1 One Piece", "chapter 5", "reading", "version 1", "(from http)")
	jsonOut.await(t, 10*time.Second, 0, `"type":"progress_broadcast"`, `"chapter":5`)

	// Let the watches' access token expire, so that reconnecting needs a
	// refresh, then restart the server on the same ports and data.
	before := readCredentials(t, u.configDir)
	expires, err := time.Parse(time.RFC3339Nano, before["access_token_expires_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "the access token to expire", func() bool { return time.Now().After(expires.Add(time.Second)) })
	seen := len(text.complete())
	ts = ts.restart(t)
	down := text.await(t, 20*time.Second, seen, "disconnected: ")
	if line := text.complete()[down]; strings.Contains(line, "closed the connection") {
		t.Fatalf("%q: the server's shutdown message was not shown", line)
	}
	text.await(t, 20*time.Second, down, "connected to "+ts.TCP+" as erin")
	testenv.Eventually(t, 20*time.Second, "both watches to reconnect", func() bool { return tcpConnections(t, ts) == 2 })
	if after := readCredentials(t, u.configDir); after["refresh_token"] == before["refresh_token"] {
		t.Fatal("the watches reconnected without refreshing the expired token")
	}

	phone.must("", "progress", "set", "1", "6", "--status", "re_reading")
	text.await(t, 10*time.Second, down, "updated", "#1 One Piece", "chapter 6", "re_reading", "version 2")
	phone.must("", "progress", "rm", "1")
	text.await(t, 10*time.Second, down, "removed", "#1 One Piece", "version 2")
	jsonOut.await(t, 10*time.Second, 0, `"type":"progress_deleted"`, `"manga_id":1`, `"version":2`)

	// --json: every line is one server message, and nothing else.
	for _, line := range jsonOut.complete() {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		if m["type"] != "progress_broadcast" && m["type"] != "progress_deleted" {
			t.Fatalf("--json printed %q", line)
		}
	}
	if n := len(jsonOut.complete()); n != 3 {
		t.Fatalf("--json printed %d lines, want 3:\n%s", n, jsonOut.String())
	}
	if strings.Contains(text.String(), "\n\n") {
		t.Fatalf("empty lines in:\n%s", text.String())
	}
}

// Not logged in, sync watch fails at once instead of retrying forever.
func TestSyncWatchNeedsLogin(t *testing.T) {
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{}}
	oneLine(t, u.run("", "sync", "watch"), "not logged in")
}
