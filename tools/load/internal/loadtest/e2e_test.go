package loadtest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
	"github.com/mangahub/mangahub/tools/load/internal/refserver"
	"github.com/mangahub/mangahub/tools/load/internal/wire"
)

const e2eSecret = "e2e-secret-e2e-secret-e2e-secret-0123"

// mangahubServer builds the real server from the repository this module
// sits in and starts it on free loopback ports, embedded SQLite, the
// secret above. The tool can only reach it the way any client does.
func mangahubServer(t *testing.T) (httpAddr, tcpAddr string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and starts the real server")
	}
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !bytes.Contains(b, []byte("module github.com/mangahub/mangahub\n")) {
		t.Skip("not inside the MangaHub repository")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mangahub")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mangahub")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mangahub: %v\n%s", err, out)
	}
	httpAddr, tcpAddr = freeAddr(t), freeAddr(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MANGAHUB_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "MANGAHUB_DATA_DIR="+filepath.Join(dir, "data"), "MANGAHUB_HTTP_ADDR="+httpAddr,
		"MANGAHUB_TCP_ADDR="+tcpAddr, "MANGAHUB_JWT_SECRET="+e2eSecret, "MANGAHUB_LOG_LEVEL=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return httpAddr, tcpAddr
			}
		}
		select {
		case <-exited:
			t.Fatalf("the server exited:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /readyz within 30s:\n%s", logs.String())
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func body(t *testing.T, url, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v: %s", url, resp.StatusCode, err, b)
	}
	return b
}

// TestAgainstTheRealServer drives a real MangaHub with the tool's own
// clients, over the contract only: users and tokens, the reference
// server's copy (the same bytes on every measured route), TCP and
// WebSocket handshakes, and a short fan-out run.
func TestAgainstTheRealServer(t *testing.T) {
	httpAddr, tcpAddr := mangahubServer(t)
	ctx := t.Context()
	base := "http://" + httpAddr
	api := loadtest.API{Base: base}

	accounts, err := api.EnsureAccounts(ctx, "e2e_", 2, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, len(accounts))
	for i, a := range accounts {
		if tokens[i], err = loadtest.MintToken([]byte(e2eSecret), a, time.Hour, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := api.MangaIDs(ctx, tokens[0], 3)
	if err != nil || len(ids) != 3 {
		t.Fatalf("MangaIDs = %v, %v; want 3 of the sample catalog", ids, err)
	}
	if err := api.SeedLibrary(ctx, tokens[0], ids); err != nil {
		t.Fatal(err)
	}

	t.Run("reference server answers with the same bytes", func(t *testing.T) {
		ref := refserver.New([]byte(e2eSecret))
		if err := ref.CopyFrom(ctx, base, tokens[:1]); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(ref.Handler())
		t.Cleanup(srv.Close)
		for _, q := range loadtest.SearchWords {
			paths, _ := loadtest.RoutePaths(loadtest.RouteSearch, nil, []string{q})
			if a, b := body(t, base+paths[0], tokens[0]), body(t, srv.URL+paths[0], tokens[0]); !bytes.Equal(a, b) {
				t.Errorf("search %q differs:\nmangahub  %s\nreference %s", q, a, b)
			}
		}
		paths, _ := loadtest.RoutePaths(loadtest.RouteMangaByID, ids, nil)
		for _, p := range append(paths, "/api/progress") {
			if a, b := body(t, base+p, tokens[0]), body(t, srv.URL+p, tokens[0]); !bytes.Equal(a, b) {
				t.Errorf("%s differs:\nmangahub  %s\nreference %s", p, a, b)
			}
		}
	})

	t.Run("TCP and WebSocket handshakes", func(t *testing.T) {
		c, err := loadtest.DialAuth(ctx, tcpAddr, netip.Addr{}, tokens[0], 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !c.Ping("p1", 5*time.Second) {
			t.Error("no pong over TCP")
		}
		_, err = loadtest.DialAuth(ctx, tcpAddr, netip.Addr{}, tokens[0]+"x", 5*time.Second)
		var se *wire.ServerError
		if !errors.As(err, &se) || se.Code != "auth_failed" {
			t.Errorf("bad token over TCP: %v, want auth_failed", err)
		}
		w, err := loadtest.DialIdleWS(ctx, "ws://"+httpAddr+"/ws", netip.Addr{}, tokens[1], 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if !w.Ping("p2", 5*time.Second) {
			t.Error("no pong over WebSocket")
		}
	})

	t.Run("fan-out", func(t *testing.T) {
		manga, err := loadtest.OpenEndedManga(ctx, base, tokens[0], 5)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		res, err := loadtest.Fanout{
			Addr: tcpAddr, Tokens: tokens, Users: 2, ConnsPerUser: 2, Rate: 10, Duration: time.Second,
			Drain: 10 * time.Second, MangaIDs: manga, Concurrency: 2, Timeout: 5 * time.Second,
		}.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Sent == 0 || res.Acks != res.Sent || res.Applied != res.Sent || res.Broadcasts != res.Expected || len(res.Errors) != 0 {
			t.Errorf("fan-out: sent %d, acks %d (%d applied), broadcasts %d of %d, errors %v",
				res.Sent, res.Acks, res.Applied, res.Broadcasts, res.Expected, res.Errors)
		}
		if res.AckLatency.Count == 0 || res.FanLatency.Count == 0 {
			t.Errorf("no latencies measured: ack %+v, fan-out %+v", res.AckLatency, res.FanLatency)
		}
	})
}
