package main_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/testenv"
)

// writer streams updates over one device, round robin over mangas, each a
// real change (the chapter grows), and keeps the last acknowledged state of
// every record.
type writer struct {
	dev    *device
	mangas []int64

	mu      sync.Mutex
	acked   map[int64]observation
	count   atomic.Int64
	errs    atomic.Int64
	stopped chan struct{}
}

func startWriter(dev *device, mangas []int64, stop <-chan struct{}) *writer {
	w := &writer{dev: dev, mangas: mangas, acked: map[int64]observation{}, stopped: make(chan struct{})}
	go func() {
		defer close(w.stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m := mangas[i%len(mangas)]
			ack, err := dev.update(m, i/len(mangas)+1, nil)
			if err != nil {
				return // the connection ended (the server went away)
			}
			if ack["type"] != "ack" || ack["applied"] != true {
				w.errs.Add(1)
				continue
			}
			o := observe("ack", ack["progress"])
			w.mu.Lock()
			w.acked[m] = o
			w.mu.Unlock()
			w.count.Add(1)
		}
	}()
	return w
}

func (w *writer) last() map[int64]observation {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[int64]observation, len(w.acked))
	for k, v := range w.acked {
		out[k] = v
	}
	return out
}

// waitCount waits until the writer has n more acks than now.
func (w *writer) waitMore(t *testing.T, n int64) {
	t.Helper()
	target := w.count.Load() + n
	waitFor(t, 30*time.Second, func() bool { return w.count.Load() >= target })
}

// inPostgres reports which acknowledged states PostgreSQL lacks: a record
// must hold the acknowledged version or a later one, with at least its
// chapter (chapters only grow in a writer's stream).
func inPostgres(rows map[recordKey]row, user string, acked map[int64]observation) []string {
	var missing []string
	for m, o := range acked {
		r, ok := rows[recordKey{user, m}]
		if !ok || r.version < o.version || r.chapter < o.chapter {
			missing = append(missing, fmt.Sprintf("manga %d: acked v%d ch%d, stored %+v", m, o.version, o.chapter, r))
		}
	}
	return missing
}

// (a) A server killed in the middle of a stream of acknowledged updates
// loses none of them: they wait in Redis, and the restarted server (or any
// other) flushes them to PostgreSQL.
func TestKilledServerLosesNoAcknowledgedUpdate(t *testing.T) {
	pg, rs := testenv.PostgresURL(t), testenv.NewRedis(t)
	env := hybridEnv(t, pg, rs.URL(), "MANGAHUB_FLUSH_INTERVAL=2s")
	a := start(t, env...)
	tk := registerAndLogin(t, a.httpBase, "kim")
	mangas := catalogIDs(t, a.httpBase, tk.AccessToken, 5)
	stop := make(chan struct{})
	w := startWriter(dialTCP(t, a.tcpAddr, tk.AccessToken, "kim-tcp"), mangas, stop)
	w.waitMore(t, 300)
	a.kill(t)
	<-w.stopped
	acked := w.last()
	if missing := inPostgres(pgRows(t, pg), tk.UserID, acked); len(missing) == 0 {
		t.Fatal("every acknowledged update was in PostgreSQL at the crash: the test proves nothing (flush interval too short?)")
	}
	b := start(t, env...)
	waitFor(t, 60*time.Second, func() bool { return len(inPostgres(pgRows(t, pg), tk.UserID, acked)) == 0 })
	if err := b.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if missing := inPostgres(pgRows(t, pg), tk.UserID, acked); len(missing) > 0 {
		t.Errorf("acknowledged updates missing from PostgreSQL: %v", missing)
	}
}

// (d) SIGTERM with a five-minute flush interval: the final flush writes
// everything pending before the process exits.
func TestGracefulShutdownFlushesEverything(t *testing.T) {
	pg, rs := testenv.PostgresURL(t), testenv.NewRedis(t)
	a := start(t, hybridEnv(t, pg, rs.URL(), "MANGAHUB_FLUSH_INTERVAL=5m")...)
	tk := registerAndLogin(t, a.httpBase, "lee")
	mangas := catalogIDs(t, a.httpBase, tk.AccessToken, 4)
	stop := make(chan struct{})
	w := startWriter(dialTCP(t, a.tcpAddr, tk.AccessToken, "lee-tcp"), mangas, stop)
	w.waitMore(t, 200)
	close(stop)
	<-w.stopped
	acked := w.last()
	if rows := pgRows(t, pg); len(rows) != 0 {
		t.Fatalf("PostgreSQL has %d rows before the shutdown with a 5m interval: the test proves nothing", len(rows))
	}
	if _, body := readiness(t, a); component(body, "write_behind")["pending"] != float64(len(mangas)) {
		t.Errorf("readyz before the shutdown: %v, want %d pending", body, len(mangas))
	}
	if err := a.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	rows := pgRows(t, pg)
	for m, o := range acked {
		r := rows[recordKey{tk.UserID, m}]
		if r.version != o.version || r.chapter != o.chapter || r.deleted {
			t.Errorf("manga %d: acked v%d ch%d, PostgreSQL after the shutdown %+v", m, o.version, o.chapter, r)
		}
	}
}

// (c) PostgreSQL goes away in write-behind mode: updates are still
// acknowledged (into Redis), /readyz shows the queue growing, and when
// PostgreSQL is back everything pending reaches it.
func TestPostgresOutageInWriteBehind(t *testing.T) {
	cluster := testenv.NewCluster(t)
	cluster.Start(t)
	rs := testenv.NewRedis(t)
	a := start(t, hybridEnv(t, cluster.URL(), rs.URL())...)
	tk := registerAndLogin(t, a.httpBase, "max")
	mangas := catalogIDs(t, a.httpBase, tk.AccessToken, 3)
	dev := dialTCP(t, a.tcpAddr, tk.AccessToken, "max-tcp")
	stop := make(chan struct{})
	w := startWriter(dev, mangas, stop)
	w.waitMore(t, 50)

	cluster.Stop(t)
	w.waitMore(t, 200) // still acknowledged
	waitFor(t, 10*time.Second, func() bool {
		code, body := readiness(t, a)
		wb := component(body, "write_behind")
		return code == http.StatusServiceUnavailable && wb["pending"] == float64(len(mangas)) && wb["status"] == "failing"
	})
	cluster.Start(t)
	w.waitMore(t, 50)
	close(stop)
	<-w.stopped
	acked := w.last()
	waitFor(t, 60*time.Second, func() bool { return len(inPostgres(pgRows(t, cluster.URL()), tk.UserID, acked)) == 0 })
	if err := a.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// (b) Redis stops and comes back during traffic: updates are acknowledged
// all along (through PostgreSQL while Redis is down, /readyz degraded), the
// service returns to normal by itself, and every record ends as the last
// acknowledged update left it.
func TestRedisOutageDuringTraffic(t *testing.T) {
	pg, rs := testenv.PostgresURL(t), testenv.NewRedis(t)
	a := start(t, hybridEnv(t, pg, rs.URL())...)
	tk := registerAndLogin(t, a.httpBase, "ned")
	mangas := catalogIDs(t, a.httpBase, tk.AccessToken, 3)
	stop := make(chan struct{})
	w := startWriter(dialTCP(t, a.tcpAddr, tk.AccessToken, "ned-tcp"), mangas, stop)
	w.waitMore(t, 100)

	rs.Stop(t)
	w.waitMore(t, 100) // acknowledged through PostgreSQL
	code, body := readiness(t, a)
	if code != http.StatusOK || body["status"] != "degraded" {
		t.Errorf("readyz with Redis down: %d %v, want 200 degraded", code, body)
	}
	rs.Start(t)
	waitFor(t, 30*time.Second, func() bool {
		code, body := readiness(t, a)
		return code == http.StatusOK && body["status"] == "ok"
	})
	w.waitMore(t, 100)
	close(stop)
	<-w.stopped
	if n := w.errs.Load(); n > 0 {
		t.Errorf("%d updates were not applied", n)
	}
	acked := w.last()
	// The hot store, read over HTTP, and then PostgreSQL after the final
	// flush, hold each record as its last acknowledged update left it.
	for m, o := range acked {
		var got struct {
			Chapter int   `json:"chapter"`
			Version int64 `json:"version"`
		}
		if code := call(t, "GET", fmt.Sprintf("%s/api/progress/%d", a.httpBase, m), tk.AccessToken, nil, &got); code != 200 ||
			got.Chapter != o.chapter || got.Version < o.version {
			t.Errorf("manga %d: acked v%d ch%d, read %d %+v", m, o.version, o.chapter, code, got)
		}
	}
	if err := a.stop(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	rows := pgRows(t, pg)
	for m, o := range acked {
		if r := rows[recordKey{tk.UserID, m}]; r.chapter != o.chapter || r.version < o.version {
			t.Errorf("manga %d: acked v%d ch%d, PostgreSQL %+v", m, o.version, o.chapter, r)
		}
	}
}

// (e) Two instances on one PostgreSQL and one Redis: a change on one
// reaches the user's connection on the other exactly once, and two
// flushers running together leave the newest version of every row.
func TestTwoInstancesAreOneService(t *testing.T) {
	pg, rs := testenv.PostgresURL(t), testenv.NewRedis(t)
	env := append(hybridEnv(t, pg, rs.URL()), "MANGAHUB_CATALOG_CACHE_TTL=1h")
	a, b := start(t, env...), start(t, env...)
	tk := registerAndLogin(t, a.httpBase, "oda")
	mangas := catalogIDs(t, a.httpBase, tk.AccessToken, 6)
	onA := dialTCP(t, a.tcpAddr, tk.AccessToken, "oda-a")
	onB := dialWS(t, b.httpBase, tk.AccessToken, "oda-b")

	ack := onA.request(t, map[string]any{"type": "progress_update", "manga_id": mangas[0], "chapter": 7})
	if ack["applied"] != true {
		t.Fatalf("update on a: %v", ack)
	}
	waitFor(t, 10*time.Second, func() bool { return len(onB.observations()) >= 1 })
	// A ping round trip on b: anything pushed before its pong has arrived.
	if pong := onB.request(t, map[string]any{"type": "ping"}); pong["type"] != "pong" {
		t.Fatalf("ping: %v", pong)
	}
	got := onB.observations()
	if len(got) != 1 || got[0].kind != "progress_broadcast" || got[0].manga != mangas[0] || got[0].chapter != 7 || got[0].version != 1 {
		t.Errorf("instance b's connection got %+v, want the one broadcast of the change", got)
	}

	// An admin sees the user's live connections on the instance it asks;
	// anyone else is refused.
	admin := createAdmin(t, env, a.httpBase, "root")
	var conns struct {
		Instance string `json:"instance"`
		Total    int    `json:"total"`
		Items    []struct {
			UserID      string `json:"user_id"`
			Connections int    `json:"connections"`
		} `json:"items"`
	}
	if code := call(t, "GET", b.httpBase+"/api/admin/connections", admin, nil, &conns); code != http.StatusOK ||
		conns.Instance == "" || conns.Total != 1 || len(conns.Items) != 1 || conns.Items[0].UserID != tk.UserID {
		t.Errorf("admin connections on b: %d %+v, want oda's one connection", code, conns)
	}
	if code := call(t, "GET", b.httpBase+"/api/admin/connections", tk.AccessToken, nil, nil); code != http.StatusForbidden {
		t.Errorf("admin connections as a user: %d, want 403", code)
	}

	// An admin renames a manga on a: b, which has it cached (for an hour
	// here), hears of the write on the bus and answers with the new title.
	byID := func(base string) (title string) {
		var m struct {
			Title string `json:"title"`
		}
		if code := call(t, "GET", fmt.Sprintf("%s/api/manga/%d", base, mangas[1]), tk.AccessToken, nil, &m); code != http.StatusOK {
			t.Fatalf("GET manga on %s: %d", base, code)
		}
		return m.Title
	}
	byID(b.httpBase)
	if code := call(t, "PUT", fmt.Sprintf("%s/api/manga/%d", a.httpBase, mangas[1]), admin,
		map[string]any{"title": "Renamed on a"}, nil); code != http.StatusOK {
		t.Fatalf("rename manga on a: %d", code)
	}
	waitFor(t, 2*time.Second, func() bool { return byID(b.httpBase) == "Renamed on a" })

	// An admin deletes a manga the user reads: the user's connections on
	// both instances hear of it as of any delete, with the deleted version.
	if code := call(t, "DELETE", fmt.Sprintf("%s/api/manga/%d", a.httpBase, mangas[0]), admin, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete manga: %d", code)
	}
	for _, d := range []*device{onA, onB} {
		waitFor(t, 10*time.Second, func() bool {
			for _, o := range d.observations() {
				if o.kind == "progress_deleted" && o.manga == mangas[0] && o.version == 1 {
					return true
				}
			}
			return false
		})
	}
	mangas = mangas[1:]

	// Writers on both instances, both flushers running.
	stop := make(chan struct{})
	wa := startWriter(onA, mangas[:2], stop)
	wb := startWriter(onB, mangas[2:], stop)
	wa.waitMore(t, 150)
	wb.waitMore(t, 150)
	close(stop)
	<-wa.stopped
	<-wb.stopped
	for _, p := range []*proc{a, b} {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit: %v", err)
		}
	}
	rows := pgRows(t, pg)
	for _, w := range []*writer{wa, wb} {
		for m, o := range w.last() {
			if r := rows[recordKey{tk.UserID, m}]; r.version != o.version || r.chapter != o.chapter {
				t.Errorf("manga %d: newest acked v%d ch%d, PostgreSQL %+v", m, o.version, o.chapter, r)
			}
		}
	}
}

// createAdmin creates an admin account with the operator command, against
// the database of env, and logs it in at base.
func createAdmin(t *testing.T, env []string, base, name string) string {
	t.Helper()
	cmd := exec.Command(binary, "user", "create", "--username", name, "--email", name+"@example.com", "--admin", "--password-stdin")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader("admin password " + name + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user create --admin: %v\n%s", err, out)
	}
	var tk tokens
	if code := call(t, "POST", base+"/auth/login", "", map[string]string{"username": name, "password": "admin password " + name}, &tk); code != http.StatusOK {
		t.Fatalf("admin login: %d", code)
	}
	return tk.AccessToken
}
