package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/client"
)

// The client commands, in the order a new user runs them.
func TestClientCommands(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	u := newUser(t, ts)

	out := u.must("alice password\n", "register", "--username", "alice", "--email", "alice@example.com", "--password-stdin")
	if !containsAll(out, "registered alice", "mangahub login") {
		t.Fatalf("register said %q", out)
	}
	oneLine(t, u.run("alice password\n", "register", "--username", "alice", "--email", "other@example.com", "--password-stdin"), "taken")
	bob := decode[map[string]any](t, u.must("bob password\n", "register", "--username", "bob", "--email", "bob@example.com", "--password-stdin", "--json"))
	if len(bob) != 4 || bob["username"] != "bob" || bob["email"] != "bob@example.com" || bob["user_id"] == "" || bob["created_at"] == "" {
		t.Fatalf("register --json: %v", bob)
	}
	oneLine(t, u.run("wrong password\n", "login", "--username", "alice", "--password-stdin"), "invalid")
	if _, err := os.Stat(filepath.Join(u.configDir, "credentials.json")); !os.IsNotExist(err) {
		t.Fatalf("a failed login left credentials: %v", err)
	}

	out = u.must("alice password\n", "login", "--username", "alice", "--password-stdin")
	if out != "logged in to "+ts.URL+" as alice\n" {
		t.Fatalf("login said %q", out)
	}
	creds := readCredentials(t, u.configDir)
	if creds["server"] != ts.URL || creds["username"] != "alice" || creds["refresh_token"] == "" {
		t.Fatalf("credentials %v", creds)
	}
	if b, _ := os.ReadFile(filepath.Join(u.configDir, "credentials.json")); bytes.Contains(b, []byte("alice password")) {
		t.Fatal("the password was kept")
	}

	// The catalog.
	page := decode[client.Page[*mangahub.Manga]](t, u.must("", "manga", "search", "one", "piece", "--json", "--limit", "5"))
	if page.Total < 1 || page.Limit != 5 || page.Items[0].Title != "One Piece" {
		t.Fatalf("search --json: %+v", page)
	}
	id := strconv.FormatInt(page.Items[0].ID, 10)
	out = u.must("", "manga", "search", "one piece")
	assertAligned(t, out, "TITLE", "One Piece")
	out = u.must("", "manga", "search", "--genre", "Action", "--genre", "Adventure", "--status", "ongoing", "--limit", "3")
	if n := strings.Count(out, "\n"); n != 5 || !strings.Contains(out, "3 of ") {
		t.Fatalf("search by genres: %d lines, want a header, 3 rows and a count:\n%s", n, out)
	}
	if out := u.must("", "manga", "show", id); !containsAll(out, "#"+id+" One Piece", "also known as:", "ワンピース", "author:", "Eiichiro Oda", "genres:") {
		t.Fatalf("manga show: %q", out)
	}
	if m := decode[mangahub.Manga](t, u.must("", "manga", "show", id, "--json")); m.Title != "One Piece" {
		t.Fatalf("manga show --json: %+v", m)
	}
	oneLine(t, u.run("", "manga", "show", "999999"), "not found")

	// The library, with a backward move refused and then forced.
	if out := u.must("", "progress", "set", id, "10"); !containsAll(out, "One Piece", "chapter 10", "reading", "version 1") {
		t.Fatalf("progress set: %q", out)
	}
	oneLine(t, u.run("", "progress", "set", id, "3"), "backwards", "--force", "chapter 10")
	oneLine(t, u.run("", "progress", "set", id, "3", "--json"), "backwards")
	forced := decode[client.ProgressResult](t, u.must("", "progress", "set", id, "3", "--force", "--json"))
	if !forced.Applied || forced.Progress.Chapter != 3 || forced.Progress.Version != 2 {
		t.Fatalf("forced: %+v", forced)
	}
	if out := u.must("", "progress", "set", id, "3"); !strings.Contains(out, "nothing changed") {
		t.Fatalf("unchanged: %q", out)
	}
	u.must("", "progress", "set", "2", "7", "--status", "on_hold")

	out = u.must("", "progress", "list")
	assertAligned(t, out, "STATUS", "on_hold")
	if !strings.HasPrefix(out, "ID ") || strings.Count(out, "\n") != 3 || !strings.Contains(out, "One Piece") {
		t.Fatalf("progress list:\n%s", out)
	}
	lib := decode[library](t, u.must("", "progress", "list", "--json"))
	if lib.Total != 2 || len(lib.Items) != 2 || lib.Items[1].Chapter != 3 || lib.Items[0].Status != mangahub.StatusOnHold {
		t.Fatalf("progress list --json: %+v", lib)
	}
	lib = decode[library](t, u.must("", "progress", "list", "--status", "on_hold", "--json"))
	if lib.Total != 1 || lib.Items[0].MangaID != 2 {
		t.Fatalf("progress list --status on_hold: %+v", lib)
	}
	if p := decode[mangahub.Progress](t, u.must("", "progress", "get", id, "--json")); p.Chapter != 3 || p.Version != 2 {
		t.Fatalf("progress get --json: %+v", p)
	}
	if out := u.must("", "progress", "get", id); !containsAll(out, "One Piece", "chapter:", "3", "version:") {
		t.Fatalf("progress get: %q", out)
	}
	if out := u.must("", "progress", "rm", id); !strings.Contains(out, "removed manga "+id) {
		t.Fatalf("progress rm: %q", out)
	}
	oneLine(t, u.run("", "progress", "get", id), "no progress")
	oneLine(t, u.run("", "progress", "rm", id), "no progress")

	// Another server than the one logged in to is refused, not sent the
	// refresh token.
	oneLine(t, u.run("", "progress", "list", "--server", "http://127.0.0.1:1"), "logged in to "+ts.URL)

	// Logout revokes the session and removes the file.
	refresh := readCredentials(t, u.configDir)["refresh_token"].(string)
	if out := u.must("", "logout"); out != "logged out alice from "+ts.URL+"\n" {
		t.Fatalf("logout said %q", out)
	}
	if _, err := os.Stat(filepath.Join(u.configDir, "credentials.json")); !os.IsNotExist(err) {
		t.Fatalf("credentials after logout: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.New(ts.URL, client.WithRefreshToken(refresh)).Refresh(ctx); !mangahub.IsCode(err, mangahub.CodeInvalidToken) {
		t.Fatalf("the kept refresh token after logout: %v, want invalid_token", err)
	}
	oneLine(t, u.run("", "progress", "list"), "not logged in", "mangahub login")
	if out := u.must("", "logout"); !strings.Contains(out, "not logged in") {
		t.Fatalf("second logout said %q", out)
	}
}

// Without Env.ConfigDir the credentials live in os.UserConfigDir()/mangahub,
// which honours XDG_CONFIG_HOME on Linux.
func TestCredentialsInUserConfigDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CONFIG_HOME is the Linux configuration directory")
	}
	ts := startServer(t, t.TempDir(), nil)
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	u := newUser(t, ts)
	u.must("cleo password\n", "register", "--username", "cleo", "--email", "cleo@example.com", "--password-stdin")
	u.configDir = ""
	u.must("cleo password\n", "login", "--username", "cleo", "--password-stdin")
	if c := readCredentials(t, filepath.Join(xdg, "mangahub")); c["username"] != "cleo" {
		t.Fatalf("credentials in XDG_CONFIG_HOME: %v", c)
	}
	u.must("", "logout")
	if _, err := os.Stat(filepath.Join(xdg, "mangahub", "credentials.json")); !os.IsNotExist(err) {
		t.Fatalf("after logout: %v", err)
	}
}

// Commands run at once from several terminals share one kept session: each
// refreshes the expired access token in turn, none presents a refresh token
// another one already spent, and the session survives.
func TestConcurrentCommandsShareTheSession(t *testing.T) {
	ts := startServer(t, t.TempDir(), map[string]string{"MANGAHUB_ACCESS_TOKEN_TTL": "3s"})
	u := newUser(t, ts)
	u.signUp("dana")
	u.must("", "progress", "set", "1", "1")
	for round := range 3 {
		var wg sync.WaitGroup
		results := make([]result, 4)
		for i := range results {
			wg.Go(func() { results[i] = u.run("", "progress", "list", "--json") })
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 {
				t.Fatalf("round %d, command %d: exit %d: %s", round, i, r.code, r.stderr)
			}
			if lib := decode[library](t, r.stdout); lib.Total != 1 {
				t.Fatalf("round %d, command %d: %+v", round, i, lib)
			}
		}
	}
	if out := u.must("", "progress", "get", "1", "--json"); !strings.Contains(out, `"chapter": 1`) {
		t.Fatalf("after the rounds: %q", out)
	}
}
