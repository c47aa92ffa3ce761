package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
)

// device is one sync connection (TCP or WebSocket) of a user, as a client
// app holds it: requests with ids and their replies, and, in wire order,
// every ack and push it received.
type device struct {
	name  string
	send  func([]byte) error
	close func()

	mu       sync.Mutex
	seq      int
	waiters  map[string]chan map[string]any
	greeting chan map[string]any // the waiter of the server's first message
	seen     []observation       // acks of applied changes and pushes, in wire order
	gone     chan struct{}
	err      error
}

// observation is one state of a record a device learned of.
type observation struct {
	kind    string // "ack", "progress_broadcast" or "progress_deleted"
	manga   int64
	version int64
	deleted bool
	chapter int
	status  string
}

// rank orders the states of a record: a higher version, or the delete of
// the same version, is later.
func (o observation) rank() int64 {
	r := 2 * o.version
	if o.deleted {
		r++
	}
	return r
}

func dialTCP(t *testing.T, addr, token, name string) *device {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReaderSize(conn, 64<<10)
	d := newDevice(name, func(b []byte) error {
		_, err := conn.Write(append(b, '\n'))
		return err
	}, func() { conn.Close() })
	go func() {
		for {
			b, err := r.ReadBytes('\n')
			if err != nil {
				d.end(err)
				return
			}
			d.receive(b)
		}
	}()
	t.Cleanup(d.close)
	d.handshake(t, token)
	return d
}

func dialWS(t *testing.T, httpBase, token, name string) *device {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(httpBase, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	d := newDevice(name, func(b []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.Write(ctx, websocket.MessageText, b)
	}, func() { c.CloseNow() })
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				d.end(err)
				return
			}
			d.receive(b)
		}
	}()
	t.Cleanup(d.close)
	d.handshake(t, token)
	return d
}

// newDevice returns a device awaiting the server's greeting, which its
// reader delivers to the waiter with the empty id.
func newDevice(name string, send func([]byte) error, closeFn func()) *device {
	greeting := make(chan map[string]any, 1)
	return &device{name: name, send: send, close: closeFn, gone: make(chan struct{}), greeting: greeting,
		waiters: map[string]chan map[string]any{"": greeting}}
}

// handshake reads the greeting and authenticates.
func (d *device) handshake(t *testing.T, token string) {
	t.Helper()
	select {
	case m := <-d.greeting:
		if m["type"] != "auth_required" {
			t.Fatalf("%s: greeting %v", d.name, m)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no greeting", d.name)
	}
	if m := d.request(t, map[string]any{"type": "auth", "token": token}); m["type"] != "auth_ok" {
		t.Fatalf("%s: auth answer %v", d.name, m)
	}
}

func (d *device) end(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
		close(d.gone)
	}
}

// receive sorts one message: a reply goes to its waiter (an applied ack is
// also an observation), a push is an observation.
func (d *device) receive(b []byte) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		d.end(fmt.Errorf("bad message %q: %w", b, err))
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch m["type"] {
	case "ack":
		if m["applied"] == true {
			d.seen = append(d.seen, observe("ack", m["progress"]))
		}
	case "progress_broadcast":
		d.seen = append(d.seen, observe("progress_broadcast", m["progress"]))
	case "progress_deleted":
		d.seen = append(d.seen, observation{kind: "progress_deleted", manga: int64(m["manga_id"].(float64)),
			version: int64(m["version"].(float64)), deleted: true})
	}
	id, _ := m["id"].(string)
	if w, ok := d.waiters[id]; ok && (id != "" || m["type"] == "auth_required") {
		delete(d.waiters, id)
		w <- m
	}
}

func observe(kind string, v any) observation {
	p, _ := v.(map[string]any)
	o := observation{kind: kind}
	if p == nil {
		return o
	}
	o.manga = int64(p["manga_id"].(float64))
	o.version = int64(p["version"].(float64))
	o.chapter = int(p["chapter"].(float64))
	o.status, _ = p["status"].(string)
	return o
}

// request sends msg with a fresh id and returns the reply.
func (d *device) request(t *testing.T, msg map[string]any) map[string]any {
	t.Helper()
	m, err := d.try(msg)
	if err != nil {
		t.Fatalf("%s: %v", d.name, err)
	}
	return m
}

// try is request for goroutines other than the test's: it returns the
// error instead of failing.
func (d *device) try(msg map[string]any) (map[string]any, error) {
	d.mu.Lock()
	d.seq++
	id := d.name + "-" + strconv.Itoa(d.seq)
	w := make(chan map[string]any, 1)
	d.waiters[id] = w
	d.mu.Unlock()
	msg["id"] = id
	b, _ := json.Marshal(msg)
	if err := d.send(b); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	select {
	case m := <-w:
		return m, nil
	case <-d.gone:
		return nil, fmt.Errorf("connection ended: %v", d.err)
	case <-time.After(15 * time.Second):
		return nil, fmt.Errorf("no reply to %s", b)
	}
}

// observations returns what the device learned so far, in wire order.
func (d *device) observations() []observation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]observation(nil), d.seen...)
}

// update sends a progress_update and returns the ack (or the error reply).
func (d *device) update(mangaID int64, chapter int, extra map[string]any) (map[string]any, error) {
	msg := map[string]any{"type": "progress_update", "manga_id": mangaID, "chapter": chapter}
	for k, v := range extra {
		msg[k] = v
	}
	return d.try(msg)
}

// hybridEnv is the environment of a serve process on PostgreSQL and Redis,
// with limits out of the way of load.
func hybridEnv(t *testing.T, pgURL, redisURL string, extra ...string) []string {
	t.Helper()
	return append([]string{
		"MANGAHUB_DATABASE_URL=" + pgURL, "MANGAHUB_REDIS_URL=" + redisURL,
		"MANGAHUB_JWT_SECRET=" + strings.Repeat("h", 40), "MANGAHUB_DATA_DIR=" + t.TempDir(),
		"MANGAHUB_RATE_LIMIT=100000/s,burst=100000", "MANGAHUB_AUTH_RATE_LIMIT=1000/s,burst=1000",
		"MANGAHUB_FLUSH_INTERVAL=200ms",
	}, extra...)
}

// row is one user_progress row as PostgreSQL holds it.
type row struct {
	version int64
	deleted bool
	chapter int
	status  string
}

type recordKey struct {
	user  string
	manga int64
}

// pgRows reads every progress row of PostgreSQL.
func pgRows(t *testing.T, url string) map[recordKey]row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT user_id, manga_id, version, deleted, current_chapter, status FROM user_progress`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[recordKey]row{}
	for rows.Next() {
		var (
			k recordKey
			r row
		)
		if err := rows.Scan(&k.user, &k.manga, &r.version, &r.deleted, &r.chapter, &r.status); err != nil {
			t.Fatal(err)
		}
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// readiness returns /readyz's status and body.
func readiness(t *testing.T, p *proc) (int, map[string]any) {
	t.Helper()
	var body map[string]any
	code := call(t, "GET", p.httpBase+"/readyz", "", nil, &body)
	return code, body
}

// component returns one component of a /readyz body.
func component(body map[string]any, name string) map[string]any {
	c, _ := body["components"].(map[string]any)
	m, _ := c[name].(map[string]any)
	return m
}

// catalogIDs returns the IDs of n manga without a chapter count (ongoing
// series), so that any chapter is valid.
func catalogIDs(t *testing.T, base, token string, n int) []int64 {
	t.Helper()
	var page struct {
		Items []struct {
			ID            int64 `json:"id"`
			TotalChapters *int  `json:"total_chapters"`
		} `json:"items"`
	}
	if code := call(t, "GET", base+"/api/manga?status=ongoing&limit=100", token, nil, &page); code != http.StatusOK {
		t.Fatalf("catalog: %d", code)
	}
	var ids []int64
	for _, m := range page.Items {
		if m.TotalChapters == nil && len(ids) < n {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) < n {
		t.Fatalf("only %d ongoing manga without a chapter count", len(ids))
	}
	return ids
}

// kill ends p at once, as a crash would.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("killed server did not exit")
	}
}
