package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/testenv"
)

const wait = 5 * time.Second

type fixture struct {
	hub      *hub.Hub
	bus      *inmem.Bus
	progress *fakeProgress
}

func newFixture(t *testing.T, cfg hub.Config) *fixture {
	t.Helper()
	bus := inmem.NewBus()
	p := &fakeProgress{bus: bus}
	f := &fixture{hub: hub.New(cfg, fakeAuth{}, p, bus, nil, nil), bus: bus, progress: p}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		f.hub.Shutdown(ctx)
	})
	return f
}

// connect serves a fake connection and authenticates it as user; it returns
// the transport and the connection ID.
func (f *fixture) connect(t *testing.T, user string) (*fakeTransport, string) {
	t.Helper()
	tr := newFakeTransport()
	go f.hub.Serve(tr)
	expect(t, tr, protocol.TypeAuthRequired)
	tr.in <- []byte(`{"type":"auth","token":"token-` + user + `"}`)
	ok := expect(t, tr, protocol.TypeAuthOK)
	return tr, ok.ConnectionID
}

func next(t *testing.T, tr *fakeTransport) ([]byte, protocol.ServerMessage) {
	t.Helper()
	select {
	case line := <-tr.out:
		var m protocol.ServerMessage
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("hub wrote %q: %v", line, err)
		}
		return line, m
	case <-time.After(wait):
		t.Fatal("no message")
	}
	panic("unreachable")
}

func expect(t *testing.T, tr *fakeTransport, typ string) protocol.ServerMessage {
	t.Helper()
	_, m := next(t, tr)
	if m.Type != typ {
		t.Fatalf("got %+v, want %s", m, typ)
	}
	return m
}

// nothing proves that no message was queued for tr: a ping's pong is the
// next message. A session answers in order, behind whatever was queued for
// it before, so this holds on a slow machine as on a fast one (a wait for
// "long enough" would pass there when it should fail).
func nothing(t *testing.T, tr *fakeTransport) {
	t.Helper()
	tr.in <- []byte(`{"type":"ping","id":"nothing"}`)
	if _, m := next(t, tr); m.Type != protocol.TypePong || m.ID != "nothing" {
		t.Fatalf("unexpected message %+v", m)
	}
}

func closedWith(t *testing.T, tr *fakeTransport, r hub.CloseReason) {
	t.Helper()
	select {
	case <-tr.closed:
	case <-time.After(wait):
		t.Fatal("not closed")
	}
	if tr.closeNow.Load() || hub.CloseReason(tr.reason.Load()) != r {
		t.Fatalf("closed with reason %d (now: %v), want graceful %d", tr.reason.Load(), tr.closeNow.Load(), r)
	}
}

// TestBroadcastSharedOnce: a broadcast is encoded once, the same bytes go to
// every other connection of the user, none to the origin or another user.
func TestBroadcastSharedOnce(t *testing.T) {
	f := newFixture(t, hub.Config{})
	origin, originID := f.connect(t, "u1")
	a, _ := f.connect(t, "u1")
	b, _ := f.connect(t, "u1")
	stranger, _ := f.connect(t, "u2")

	p := &mangahub.Progress{UserID: "u1", MangaID: 3, Chapter: 8, Version: 2}
	f.bus.Publish(context.Background(), mangahub.Event{Type: mangahub.EventProgressUpdated, UserID: "u1", MangaID: 3, Progress: p,
		Origin: mangahub.Origin{Source: mangahub.SourceWS, ConnectionID: originID}})
	la, ma := next(t, a)
	lb, _ := next(t, b)
	if ma.Type != protocol.TypeProgressBroadcast || ma.Source != mangahub.SourceWS || ma.Progress.Chapter != 8 {
		t.Fatalf("broadcast = %+v", ma)
	}
	if &la[0] != &lb[0] {
		t.Fatal("each receiver got its own encoding of the broadcast")
	}
	nothing(t, origin)
	nothing(t, stranger)
}

// TestShutdownAnswersInFlight: a request in flight when shutdown begins is
// answered first; shutdown follows; then the connection closes.
func TestShutdownAnswersInFlight(t *testing.T) {
	f := newFixture(t, hub.Config{})
	busy, _ := f.connect(t, "u1")
	idle, _ := f.connect(t, "u2")
	f.progress.entered, f.progress.release = make(chan struct{}), make(chan struct{})

	busy.in <- []byte(`{"type":"progress_update","id":"inflight","manga_id":1,"chapter":2}`)
	<-f.progress.entered
	shut := make(chan error, 1)
	go func() { shut <- f.hub.Shutdown(context.Background()) }()

	expect(t, idle, protocol.TypeShutdown)
	closedWith(t, idle, hub.CloseGoingAway)
	// busy cannot answer a ping while its request runs; that it was told
	// nothing yet shows below, where the ack comes before the shutdown.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}

	close(f.progress.release)
	if m := expect(t, busy, protocol.TypeAck); m.ID != "inflight" {
		t.Fatalf("ack = %+v", m)
	}
	expect(t, busy, protocol.TypeShutdown)
	closedWith(t, busy, hub.CloseGoingAway)
	select {
	case err := <-shut:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("Shutdown did not return")
	}
	if n := f.hub.ActiveConnections(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
	// Late arrivals are told and closed.
	late := newFakeTransport()
	f.hub.Serve(late)
	expect(t, late, protocol.TypeShutdown)
	closedWith(t, late, hub.CloseGoingAway)
}

// TestShutdownBounded: a client that never takes its messages cannot hold
// shutdown past its context.
func TestShutdownBounded(t *testing.T) {
	f := newFixture(t, hub.Config{})
	stuck, _ := f.connect(t, "u1")
	stuck.gate = make(chan struct{}) // from now on, writes never complete
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := f.hub.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if !stuck.closeNow.Load() {
		t.Fatal("stuck connection not dropped")
	}
	if n := f.hub.ActiveConnections(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
}

// TestQueueFullDrops: a connection whose writes stall is dropped once its
// queue is full, and the publisher never waits.
func TestQueueFullDrops(t *testing.T) {
	f := newFixture(t, hub.Config{SendQueue: 4})
	stalled, _ := f.connect(t, "u1")
	stalled.gate = make(chan struct{})
	p := &mangahub.Progress{UserID: "u1", MangaID: 1, Version: 1}
	ev := mangahub.Event{Type: mangahub.EventProgressUpdated, UserID: "u1", MangaID: 1, Progress: p, Origin: mangahub.Origin{Source: mangahub.SourceHTTP}}
	began := time.Now()
	for range 10 { // one in the writer's hands, four queued, then full
		f.bus.Publish(context.Background(), ev)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("publishing took %v", d)
	}
	select {
	case <-stalled.closed:
	case <-time.After(wait):
		t.Fatal("stalled connection not dropped")
	}
	if !stalled.closeNow.Load() {
		t.Fatal("dropped gracefully; want at once")
	}
}

// Every closed connection is one info line, as every HTTP request is: who,
// how long, and why it ended.
func TestClosedConnectionIsLogged(t *testing.T) {
	var buf testenv.Buffer
	bus := inmem.NewBus()
	h := hub.New(hub.Config{}, fakeAuth{}, &fakeProgress{bus: bus}, bus, slog.New(slog.NewJSONHandler(&buf, nil)), nil)
	tr := newFakeTransport()
	go h.Serve(tr)
	expect(t, tr, protocol.TypeAuthRequired)
	tr.in <- []byte(`{"type":"auth","token":"token-ann"}`)
	ok := expect(t, tr, protocol.TypeAuthOK)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	var found bool
	for line := range strings.Lines(buf.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "sync connection closed" {
			continue
		}
		found = true
		if rec["level"] != "INFO" || rec["operation"] != "sync_connection" || rec["connection_id"] != ok.ConnectionID ||
			rec["user_id"] != ok.UserID || rec["status"] != "going_away" || rec["latency_ms"] == nil {
			t.Errorf("log line %v", rec)
		}
	}
	if !found {
		t.Errorf("no log line for the closed connection in:\n%s", buf.String())
	}
}
