package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/cli"
	"github.com/mangahub/mangahub/internal/client"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
	"github.com/mangahub/mangahub/internal/testenv"
)

// testServer is one in-process `mangahub serve` on loopback ports.
type testServer struct {
	URL, TCP string
	dataDir  string
	stop     func()
}

// startServer runs a server on embedded SQLite in dataDir, on free ports
// unless extra names them, and waits until /readyz answers 200. It is
// stopped at the end of the test, or earlier by stop.
func startServer(t *testing.T, dataDir string, extra map[string]string) *testServer {
	t.Helper()
	vars := map[string]string{
		"MANGAHUB_HTTP_ADDR": "127.0.0.1:0", "MANGAHUB_TCP_ADDR": "127.0.0.1:0",
		"MANGAHUB_DATA_DIR": dataDir, "MANGAHUB_AUTH_RATE_LIMIT": "1000/s,burst=1000",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), "test")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	ts := &testServer{URL: "http://" + srv.HTTPAddr.String(), TCP: srv.TCPAddr.String(), dataDir: dataDir}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with %v", err)
			}
		})
	}
	t.Cleanup(ts.stop)
	testenv.Eventually(t, 30*time.Second, "/readyz to answer 200", func() bool {
		resp, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return ts
}

// restart stops ts and starts a new server on the same ports and data.
func (ts *testServer) restart(t *testing.T) *testServer {
	t.Helper()
	ts.stop()
	return startServer(t, ts.dataDir, map[string]string{
		"MANGAHUB_HTTP_ADDR": strings.TrimPrefix(ts.URL, "http://"), "MANGAHUB_TCP_ADDR": ts.TCP,
	})
}

// user is one person at a terminal: a configuration directory of their own
// and the server they talk to.
type user struct {
	t         *testing.T
	server    string
	configDir string
	env       map[string]string
}

func newUser(t *testing.T, ts *testServer) *user {
	return &user{t: t, server: ts.URL, configDir: t.TempDir(), env: map[string]string{"MANGAHUB_SERVER": ts.URL}}
}

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs one command with stdin and a 30 s limit.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := cli.Run(ctx, cli.Env{
		Args: args, Getenv: func(k string) string { return u.env[k] },
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		ConfigDir: u.configDir,
	})
	return result{code, stdout.String(), stderr.String()}
}

// must runs a command that has to succeed and returns its output.
func (u *user) must(stdin string, args ...string) string {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != 0 {
		u.t.Fatalf("mangahub %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		u.t.Fatalf("mangahub %s: stderr %q on success", strings.Join(args, " "), r.stderr)
	}
	return r.stdout
}

// signUp registers and logs in name, with the password "<name> password".
func (u *user) signUp(name string) {
	u.t.Helper()
	u.must(name+" password\n", "register", "--username", name, "--email", name+"@example.com", "--password-stdin")
	u.must(name+" password\n", "login", "--username", name, "--password-stdin")
}

// lines is a writer that a command writes to while a test reads what it
// wrote, line by line.
type lines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLines() *lines { return &lines{changed: make(chan struct{}, 1)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(p)
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// complete returns the lines written so far that end with a newline.
func (l *lines) complete() []string {
	s := l.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// await waits for a line, after the first skip lines, that contains every
// one of parts, and returns its index.
func (l *lines) await(t *testing.T, within time.Duration, skip int, parts ...string) int {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		ls := l.complete()
		for i := skip; i < len(ls); i++ {
			if containsAll(ls[i], parts...) {
				return i
			}
		}
		select {
		case <-l.changed:
		case <-deadline.C:
			t.Fatalf("no line with %q within %s; output so far:\n%s", parts, within, l.String())
		}
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// oneLine checks that a failed command said exactly one line on stderr,
// containing every one of parts, and nothing on stdout.
func oneLine(t *testing.T, r result, parts ...string) {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (stdout %q, stderr %q)", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") || !containsAll(r.stderr, parts...) {
		t.Fatalf("stderr %q, want one line with %q", r.stderr, parts)
	}
	if r.stdout != "" {
		t.Fatalf("stdout %q on failure", r.stdout)
	}
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document in %q", s)
	}
	return v
}

type library struct {
	Items []*client.LibraryEntry `json:"items"`
	Total int                    `json:"total"`
}

func readCredentials(t *testing.T, dir string) map[string]any {
	t.Helper()
	path := filepath.Join(dir, "credentials.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", path, fi.Mode().Perm())
		}
		di, err := os.Stat(dir)
		if err != nil || di.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v, want mode 0700", dir, di.Mode().Perm(), err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// assertAligned checks that a table's column named header starts where the
// value starts on the first row containing it.
func assertAligned(t *testing.T, table, header, value string) {
	t.Helper()
	rows := strings.Split(table, "\n")
	col := strings.Index(rows[0], header)
	if col < 0 {
		t.Fatalf("no %s column in:\n%s", header, table)
	}
	for _, r := range rows[1:] {
		if i := strings.Index(r, value); i >= 0 {
			if i != col {
				t.Fatalf("%q starts at %d, its column %s at %d:\n%s", value, i, header, col, table)
			}
			return
		}
	}
	t.Fatalf("no row with %q in:\n%s", value, table)
}
