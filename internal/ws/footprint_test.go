//go:build !race

// The race detector changes stack sizes and adds goroutines: this test
// runs in plain builds only.

package ws_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	gws "github.com/gobwas/ws"

	"github.com/mangahub/mangahub/internal/hub/hubtest"
)

// TestIdleFootprint: an idle authenticated WebSocket connection, one that
// sent a ping frame included, costs one goroutine, parked shallow enough that the garbage collector shrinks its
// stack to the 2 KiB minimum (a stack is halved only while less than a
// quarter of it is in use). A deeper wait would double the stack of every
// idle connection.
func TestIdleFootprint(t *testing.T) {
	s := start(t, hubtest.Options{})
	const users, perUser = 20, 15
	var toks []string
	for i := range users {
		_, tok := s.env.User(t, fmt.Sprint("footprint", i))
		toks = append(toks, tok)
	}
	stacks := func() (inuse uint64, goroutines int) {
		for range 3 { // shrinking happens during a collection, once per cycle
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse, runtime.NumGoroutine()
	}
	stackBefore, goBefore := stacks()
	for _, tok := range toks {
		for i := range perUser {
			c := s.loginRaw(t, tok)
			if i%2 == 0 {
				// A client that pings with control frames is idle too.
				c.send(t, ctl(gws.OpPing, []byte("keepalive")))
				if h, _ := c.next(t); h.OpCode != gws.OpPong {
					t.Fatalf("got opcode %v, want a pong", h.OpCode)
				}
			}
		}
	}
	const n = users * perUser
	eventually(t, "every connection is registered", func() bool { return s.env.Hub.ActiveConnections() == n })
	// Writers and request goroutines exit once the handshakes are answered.
	deadline := time.Now().Add(wait)
	stackAfter, goAfter := stacks()
	for goAfter-goBefore != n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		stackAfter, goAfter = stacks()
	}
	if got := goAfter - goBefore; got != n {
		t.Errorf("%d goroutines for %d idle connections, want one each", got, n)
	}
	perConn := (float64(stackAfter) - float64(stackBefore)) / n
	t.Logf("stack per idle connection: %.0f bytes", perConn)
	if perConn > 2560 {
		t.Errorf("stack per idle connection %.0f bytes, want the 2 KiB minimum", perConn)
	}
}
