//go:build unix

package tcpsync_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/tcpsync"
	"github.com/mangahub/mangahub/internal/testenv"
)

// TestSlowReader: a client that never reads is disconnected once its queue
// fills; publishing never waits for it, and the user's other connection
// keeps receiving promptly.
func TestSlowReader(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{SendQueue: 256}}, tcpsync.Config{})
	u, tok := s.env.User(t, "reader")

	// A tiny receive window, so that the kernel stops absorbing quickly.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return err
	}}
	raw, err := d.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	slow := protocol.NewLineClient(raw)
	t.Cleanup(func() { slow.Close() })
	if _, err := slow.Authenticate(tok, wait); err != nil {
		t.Fatal(err)
	}
	fast, _ := s.login(t, tok)

	received := make(chan int, 1<<16)
	go func() {
		defer close(received)
		for {
			m, err := fast.Receive(wait)
			if err != nil || m.Type != protocol.TypeProgressBroadcast {
				t.Logf("fast client stops reading: %+v, %v", m, err)
				return
			}
			received <- m.Progress.Chapter
		}
	}()

	ctx := context.Background()
	publish := func(n int) time.Duration {
		began := time.Now()
		p := &mangahub.Progress{UserID: u.ID, MangaID: s.env.MangaID, Chapter: n, Status: mangahub.StatusReading, Version: int64(n)}
		s.env.Bus.Publish(ctx, mangahub.Event{Type: mangahub.EventProgressUpdated, UserID: u.ID, MangaID: p.MangaID, Progress: p, Origin: mangahub.Origin{Source: mangahub.SourceHTTP}})
		return time.Since(began)
	}
	// Publish in bursts until the slow client is dropped. The fast client
	// must see every message, in order; each burst waits until it has, so
	// that its own lag stays far below the queue bound even on a loaded
	// machine, while the slow client's grows without limit.
	want, next, slowest := 1, 1, time.Duration(0)
	expect := func(upTo int) {
		t.Helper()
		timeout := time.After(wait)
		for want <= upTo {
			select {
			case got, ok := <-received:
				if !ok || got != want {
					t.Fatalf("fast client got chapter %d (open %v), want %d", got, ok, want)
				}
				want++
			case <-timeout:
				t.Fatalf("fast client did not get message %d", want)
			}
		}
	}
	for deadline := time.Now().Add(wait); value(t, s.env.Metrics.FanoutDropped) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("slow client not dropped after %d messages", next)
		}
		for range 10 {
			if d := publish(next); d > slowest {
				slowest = d
			}
			next++
		}
		expect(next - 1)
	}
	// One more message after the drop reaches the fast client promptly.
	began := time.Now()
	publish(next)
	expect(next)
	if d := time.Since(began); d > time.Second {
		t.Fatalf("fast client got the message after the drop %v later", d)
	}
	// A publish that waited for the slow client would take the write
	// timeout (10s); a second is far from that and far above the
	// scheduling noise of a loaded machine running the race detector.
	if slowest > time.Second {
		t.Errorf("a publish took %v: publishing must not wait for slow clients", slowest)
	}
	if got := value(t, s.env.Metrics.FanoutDropped); got != 1 {
		t.Fatalf("fan-out drops = %v, want 1", got)
	}
	testenv.Eventually(t, wait, "the slow connection is gone", func() bool { return s.env.Hub.ActiveConnections() == 1 })
	// What the slow client finally reads ends with the connection closed.
	for {
		if _, err := slow.ReceiveRaw(wait); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("slow client's connection still open")
			}
			break
		}
	}
}
