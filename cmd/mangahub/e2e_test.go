package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mangahub/mangahub/internal/testenv"
)

// binary is the mangahub binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mangahub-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mangahub")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build mangahub: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is one running `mangahub serve`.
type proc struct {
	cmd      *exec.Cmd
	httpBase string
	tcpAddr  string
	mu       sync.Mutex
	logs     bytes.Buffer
	done     chan error
}

func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// start runs `mangahub serve` on free loopback ports and waits until it is
// ready, reading the bound addresses from its "serving" log line.
func start(t *testing.T, env ...string) *proc {
	t.Helper()
	p := launch(t, env...)
	waitFor(t, 30*time.Second, func() bool { return p.ready() == http.StatusOK })
	return p
}

// ready returns the status of /readyz (0 when the request fails).
func (p *proc) ready() int {
	resp, err := http.Get(p.httpBase + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// launch runs `mangahub serve` and returns once it reported its addresses.
func launch(t *testing.T, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(),
		"MANGAHUB_HTTP_ADDR=127.0.0.1:0", "MANGAHUB_TCP_ADDR=127.0.0.1:0", "MANGAHUB_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	addrs := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.logs.Write(line)
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var rec struct {
				Msg      string `json:"msg"`
				HTTPAddr string `json:"http_addr"`
				TCPAddr  string `json:"tcp_addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
				addrs <- [2]string{rec.HTTPAddr, rec.TCPAddr}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", p.Logs())
		}
	})
	select {
	case a := <-addrs:
		p.httpBase, p.tcpAddr = "http://"+a[0], a[1]
	case err := <-p.done:
		t.Fatalf("serve exited before serving: %v\n%s", err, p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not report its addresses\n%s", p.Logs())
	}
	return p
}

// stop sends SIGTERM and returns the exit error.
func (p *proc) stop(t *testing.T) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
		return nil
	}
}

// waitFor is testenv.Eventually for the tests of this package that do not
// say what they wait for.
func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, d, "the condition", cond)
}

// call does one JSON request and decodes the answer into out (if non-nil).
func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, b, err)
		}
	}
	return resp.StatusCode
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	UserID       string `json:"user_id"`
}

func registerAndLogin(t *testing.T, base, name string) tokens {
	t.Helper()
	if code := call(t, "POST", base+"/auth/register", "", map[string]string{
		"username": name, "email": name + "@example.com", "password": "correct horse " + name,
	}, nil); code != http.StatusCreated {
		t.Fatalf("register %s: status %d", name, code)
	}
	var tk tokens
	if code := call(t, "POST", base+"/auth/login", "", map[string]string{"username": name, "password": "correct horse " + name}, &tk); code != http.StatusOK || tk.AccessToken == "" {
		t.Fatalf("login %s: status %d", name, code)
	}
	return tk
}

// line reads one JSON message from a TCP connection.
func line(t *testing.T, r *bufio.Reader, conn net.Conn) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("read TCP message: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("TCP message %q: %v", b, err)
	}
	return m
}

func tcpLogin(t *testing.T, addr, token string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	if m := line(t, r, conn); m["type"] != "auth_required" || m["protocol"] != float64(1) {
		t.Fatalf("greeting = %v", m)
	}
	fmt.Fprintf(conn, `{"type":"auth","token":%q}`+"\n", token)
	if m := line(t, r, conn); m["type"] != "auth_ok" {
		t.Fatalf("auth answer = %v", m)
	}
	return conn, r
}

func TestServeEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	p := start(t, "MANGAHUB_DATA_DIR="+dataDir)

	// The embedded default generated its secret with mode 0600.
	if fi, err := os.Stat(filepath.Join(dataDir, "jwt.secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt.secret: %v %v", fi, err)
	}

	alice := registerAndLogin(t, p.httpBase, "alice")
	bob := registerAndLogin(t, p.httpBase, "bob")

	// The sample catalog is there and search folds accents.
	var page struct {
		Items []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if code := call(t, "GET", p.httpBase+"/api/manga?q=pokemon", alice.AccessToken, nil, &page); code != 200 || page.Total < 1 || !strings.HasPrefix(page.Items[0].Title, "Pokémon") {
		t.Fatalf("search pokemon: %d %+v", code, page)
	}
	mangaID := page.Items[0].ID
	var all struct{ Total int }
	call(t, "GET", p.httpBase+"/api/manga?limit=1", alice.AccessToken, nil, &all)
	if all.Total < 150 {
		t.Fatalf("sample catalog has %d manga, want ≥ 150", all.Total)
	}

	// Two TCP connections and a WebSocket of alice, one TCP connection of bob.
	tcp1, r1 := tcpLogin(t, p.tcpAddr, alice.AccessToken)
	tcp2, r2 := tcpLogin(t, p.tcpAddr, alice.AccessToken)
	bobConn, rb := tcpLogin(t, p.tcpAddr, bob.AccessToken)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wsURL := strings.Replace(p.httpBase, "http://", "ws://", 1) + "/ws"
	wc, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wc.CloseNow()
	wsRead := func() map[string]any {
		t.Helper()
		_, b, err := wc.Read(ctx)
		if err != nil {
			t.Fatalf("ws read: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := wsRead(); m["type"] != "auth_required" {
		t.Fatalf("ws greeting %v", m)
	}
	_ = wc.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"type":"auth","token":%q}`, alice.AccessToken)))
	if m := wsRead(); m["type"] != "auth_ok" {
		t.Fatalf("ws auth %v", m)
	}

	// A change over HTTP reaches every live connection of alice.
	var res struct {
		Applied  bool           `json:"applied"`
		Progress map[string]any `json:"progress"`
	}
	if code := call(t, "POST", p.httpBase+"/api/progress", alice.AccessToken, map[string]any{"manga_id": mangaID, "chapter": 12}, &res); code != 200 || !res.Applied || res.Progress["version"] != float64(1) {
		t.Fatalf("POST progress: %d %+v", code, res)
	}
	for i, m := range []map[string]any{line(t, r1, tcp1), wsRead()} {
		if m["type"] != "progress_broadcast" || m["source"] != "http" || m["progress"].(map[string]any)["chapter"] != float64(12) {
			t.Fatalf("connection %d got %v, want the http broadcast", i, m)
		}
	}
	// A change over TCP is acknowledged and reaches the other TCP connection.
	fmt.Fprintf(tcp1, `{"type":"progress_update","id":"u1","manga_id":%d,"chapter":13}`+"\n", mangaID)
	if m := line(t, r1, tcp1); m["type"] != "ack" || m["id"] != "u1" || m["applied"] != true {
		t.Fatalf("ack = %v", m)
	}
	// r2 saw the http broadcast first, then the tcp one.
	if m := line(t, r2, tcp2); m["source"] != "http" {
		t.Fatalf("second connection, first message %v", m)
	}
	if m := line(t, r2, tcp2); m["type"] != "progress_broadcast" || m["source"] != "tcp" {
		t.Fatalf("second connection, second message %v", m)
	}
	// Bob saw nothing: his next message is the answer to his own ping.
	fmt.Fprintln(bobConn, `{"type":"ping","id":"p"}`)
	if m := line(t, rb, bobConn); m["type"] != "pong" || m["id"] != "p" {
		t.Fatalf("bob received %v before his pong", m)
	}

	// The operator CLI creates an admin who can edit the catalog.
	cmd := exec.Command(binary, "user", "create", "--username", "root", "--email", "root@example.com", "--admin", "--password-stdin")
	cmd.Env = append(os.Environ(), "MANGAHUB_DATA_DIR="+dataDir)
	cmd.Stdin = strings.NewReader("admin password\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	cmd = exec.Command(binary, "user", "create", "--username", "root", "--email", "other@example.com", "--password-stdin")
	cmd.Env = append(os.Environ(), "MANGAHUB_DATA_DIR="+dataDir)
	cmd.Stdin = strings.NewReader("admin password\n")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "taken") {
		t.Fatalf("duplicate user create: err=%v out=%s", err, out)
	}
	var admin tokens
	call(t, "POST", p.httpBase+"/auth/login", "", map[string]string{"username": "root", "password": "admin password"}, &admin)
	if code := call(t, "POST", p.httpBase+"/api/manga", admin.AccessToken, map[string]any{"title": "Test Manga", "author": "Tester", "status": "ongoing"}, nil); code != http.StatusCreated {
		t.Fatalf("admin create manga: %d", code)
	}
	if code := call(t, "POST", p.httpBase+"/api/manga", alice.AccessToken, map[string]any{"title": "Nope", "author": "x"}, nil); code != http.StatusForbidden {
		t.Fatalf("user create manga: %d, want 403", code)
	}

	// SIGTERM: connected clients are told, the process exits 0.
	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if m := line(t, rb, bobConn); m["type"] != "shutdown" {
		t.Fatalf("bob got %v, want shutdown", m)
	}

	// Restart on the same data: progress survived and old tokens still verify
	// (the secret was kept).
	p2 := start(t, "MANGAHUB_DATA_DIR="+dataDir)
	var got map[string]any
	if code := call(t, "GET", fmt.Sprintf("%s/api/progress/%d", p2.httpBase, mangaID), alice.AccessToken, nil, &got); code != 200 || got["chapter"] != float64(13) || got["version"] != float64(2) {
		t.Fatalf("after restart: %d %v", code, got)
	}
	if err := p2.stop(t); err != nil {
		t.Fatalf("second exit: %v", err)
	}
}

func TestServeOnPostgres(t *testing.T) {
	url := testenv.PostgresURL(t)
	secret := "MANGAHUB_JWT_SECRET=" + strings.Repeat("k", 40)

	// Without a secret, PostgreSQL is refused with a clear message.
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "MANGAHUB_DATABASE_URL="+url, "MANGAHUB_HTTP_ADDR=127.0.0.1:0", "MANGAHUB_TCP_ADDR=127.0.0.1:0")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "MANGAHUB_JWT_SECRET") {
		t.Fatalf("serve without secret: err=%v out=%s", err, out)
	}

	// Two instances on one database form one cluster for data.
	a := start(t, "MANGAHUB_DATABASE_URL="+url, secret, "MANGAHUB_DATA_DIR="+t.TempDir())
	b := start(t, "MANGAHUB_DATABASE_URL="+url, secret, "MANGAHUB_DATA_DIR="+t.TempDir())
	carol := registerAndLogin(t, a.httpBase, "carol")
	var page struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	call(t, "GET", b.httpBase+"/api/manga?q=one+piece", carol.AccessToken, nil, &page)
	if len(page.Items) == 0 {
		t.Fatal("instance b: one piece not found")
	}
	if code := call(t, "POST", b.httpBase+"/api/progress", carol.AccessToken, map[string]any{"manga_id": page.Items[0].ID, "chapter": 1000}, nil); code != 200 {
		t.Fatalf("progress on b: %d", code)
	}
	var got map[string]any
	if code := call(t, "GET", fmt.Sprintf("%s/api/progress/%d", a.httpBase, page.Items[0].ID), carol.AccessToken, nil, &got); code != 200 || got["chapter"] != float64(1000) {
		t.Fatalf("progress read on a: %d %v", code, got)
	}
	for _, p := range []*proc{a, b} {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit: %v", err)
		}
	}
}

// A PostgreSQL that is down at start: serve keeps running, reports it in
// /readyz, retries, and serves once the database is there.
func TestServeWaitsForPostgres(t *testing.T) {
	cluster := testenv.NewCluster(t)
	p := launch(t, "MANGAHUB_DATABASE_URL="+cluster.URL(), "MANGAHUB_JWT_SECRET="+strings.Repeat("w", 32), "MANGAHUB_DATA_DIR="+t.TempDir())

	var body struct {
		Status     string                    `json:"status"`
		Components map[string]map[string]any `json:"components"`
	}
	if code := call(t, "GET", p.httpBase+"/readyz", "", nil, &body); code != http.StatusServiceUnavailable ||
		body.Status != "unavailable" || body.Components["database"]["status"] != "unavailable" {
		t.Fatalf("readyz with PostgreSQL down: %d %+v", code, body)
	}
	if code := call(t, "GET", p.httpBase+"/healthz", "", nil, nil); code != http.StatusOK {
		t.Fatalf("healthz with PostgreSQL down: %d", code)
	}
	var problem struct{ Code string }
	if code := call(t, "POST", p.httpBase+"/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"}, &problem); code != http.StatusServiceUnavailable || problem.Code != "unavailable" {
		t.Fatalf("login with PostgreSQL down: %d %+v", code, problem)
	}

	cluster.Start(t)
	waitFor(t, 60*time.Second, func() bool { return p.ready() == http.StatusOK })
	tk := registerAndLogin(t, p.httpBase, "dave")
	var page struct{ Total int }
	if code := call(t, "GET", p.httpBase+"/api/manga", tk.AccessToken, nil, &page); code != 200 || page.Total < 150 {
		t.Fatalf("catalog after PostgreSQL came up: %d %+v", code, page)
	}

	// The database goes away mid-flight: what needs it answers 503
	// unavailable (the catalog may still be answered from memory), then
	// service again.
	cluster.Stop(t)
	login := func(problem any) int {
		return call(t, "POST", p.httpBase+"/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"}, problem)
	}
	if code := login(&problem); code != http.StatusServiceUnavailable || problem.Code != "unavailable" {
		t.Fatalf("login with PostgreSQL stopped: %d %+v", code, problem)
	}
	cluster.Start(t)
	waitFor(t, 30*time.Second, func() bool { return login(nil) == http.StatusUnauthorized })
	if err := p.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// The operator commands other than serve, on a fresh data directory.
func TestOperatorCommands(t *testing.T) {
	dataDir := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "MANGAHUB_DATA_DIR="+dataDir)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("", "version"); err != nil || !strings.HasPrefix(out, "mangahub ") {
		t.Fatalf("version: %v %q", err, out)
	}
	if out, err := run("", "migrate"); err != nil || !strings.Contains(out, "sqlite") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	if out, err := run("", "migrate", "--flush-interval=soon", "--tcp-max-conns-per-user=0"); err == nil ||
		!strings.Contains(out, "MANGAHUB_FLUSH_INTERVAL") || !strings.Contains(out, "MANGAHUB_TCP_MAX_CONNS_PER_USER") {
		t.Fatalf("bad configuration: %v %q, want both problems named", err, out)
	}

	file := filepath.Join(t.TempDir(), "more.json")
	catalog := `[{"slug":"e2e-one","title":"Éclair Brigade","author":"Zoë Tester","status":"completed","total_chapters":12,"year":2020,"description":"","cover_url":"","genres":["Comedy","Baking"]},
	             {"slug":"e2e-two","title":"Second Import","author":"Tester","status":"ongoing","total_chapters":null,"year":null,"description":"","cover_url":"","genres":[]}]`
	if err := os.WriteFile(file, []byte(catalog), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // upsert: importing twice leaves two manga, not four
		if out, err := run("", "catalog", "import", file); err != nil || !strings.Contains(out, "imported 2") {
			t.Fatalf("catalog import: %v %q", err, out)
		}
	}
	if err := os.WriteFile(file, []byte(`[{"title":"x"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run("", "catalog", "import", file); err == nil || !strings.Contains(out, "line") {
		t.Fatalf("broken import file: %v %q", err, out)
	}
	if out, err := run("secret password\n", "user", "create", "--username", "ops", "--email", "ops@example.com", "--password-stdin"); err != nil {
		t.Fatalf("user create: %v %q", err, out)
	}
	if out, err := run("secret password\n", "user", "create", "--username", "ops2", "--email", "OPS@example.com", "--password-stdin"); err == nil || !strings.Contains(out, "email") {
		t.Fatalf("user create with a taken email: %v %q", err, out)
	}

	// The imported manga are searchable, accent-insensitively (serve seeds the
	// sample only into an empty catalog, so these two are all there is).
	p := start(t, "MANGAHUB_DATA_DIR="+dataDir)
	var tk tokens
	call(t, "POST", p.httpBase+"/auth/login", "", map[string]string{"username": "ops", "password": "secret password"}, &tk)
	var page struct {
		Items []struct {
			Slug   string   `json:"slug"`
			Genres []string `json:"genres"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if code := call(t, "GET", p.httpBase+"/api/manga?q=eclair+zoe", tk.AccessToken, nil, &page); code != 200 || page.Total != 1 || page.Items[0].Slug != "e2e-one" {
		t.Fatalf("search for the imported manga: %d %+v", code, page)
	}
	if code := call(t, "GET", p.httpBase+"/api/manga", tk.AccessToken, nil, &page); code != 200 || page.Total != 2 {
		t.Fatalf("catalog after import: %d, total %d, want the 2 imported", code, page.Total)
	}
	if err := p.stop(t); err != nil {
		t.Fatal(err)
	}
}
