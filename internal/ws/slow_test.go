//go:build unix

package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	gws "github.com/gobwas/ws"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
)

// TestSlowReader: a WebSocket client that never reads is disconnected once
// its queue fills; publishing never waits for it, and the user's other
// connection keeps receiving promptly.
func TestSlowReader(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{SendQueue: 64}})
	u, tok := s.env.User(t, "reader")

	// A tiny receive window, so that the kernel stops absorbing quickly.
	slow := s.dialRaw(t, gws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var err error
			rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
			return err
		}}
		return d.DialContext(ctx, network, addr)
	}})
	slow.expect(t, protocol.TypeAuthRequired)
	slow.sendJSON(t, protocol.AuthMessage{Type: protocol.TypeAuth, Token: tok})
	slow.expect(t, protocol.TypeAuthOK)
	fast, _ := s.loginWS(t, tok)

	received := make(chan int, 1<<16)
	go func() {
		defer close(received)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			_, b, err := fast.c.Read(ctx)
			cancel()
			var m protocol.ServerMessage
			if err != nil || json.Unmarshal(b, &m) != nil || m.Type != protocol.TypeProgressBroadcast {
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
			slowest = max(slowest, publish(next))
			next++
		}
		expect(next - 1)
	}
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
	eventually(t, "the slow connection is gone", func() bool { return s.env.Hub.ActiveConnections() == 1 })
	// What the slow client finally reads ends with the connection closed.
	slow.c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 64<<10)
	for {
		if _, err := slow.r.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("slow client's connection still open")
			}
			break
		}
	}
}
