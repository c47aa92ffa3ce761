package tcpsync_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/tcpsync"
)

// TestShutdown: with many clients connected, every one gets shutdown and is
// closed, Serve returns ErrServerClosed, and nothing new is accepted.
func TestShutdown(t *testing.T) {
	const clients = 300
	s := start(t, hubtest.Options{Hub: hub.Config{MaxConnsPerUser: clients}}, tcpsync.Config{})
	_, tok := s.env.User(t, "many")
	conns := make([]*protocol.LineClient, 0, clients+1)
	for range clients {
		c, _ := s.login(t, tok)
		conns = append(conns, c)
	}
	unauth := s.dial(t) // waiting for its auth timeout
	expectType(t, unauth, protocol.TypeAuthRequired)
	conns = append(conns, unauth)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.env.Hub.Shutdown(ctx); err != nil {
		t.Fatalf("hub shutdown: %v", err)
	}
	took := time.Since(began)

	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for _, c := range conns {
		wg.Go(func() {
			m, err := c.Receive(wait)
			if err != nil || m.Type != protocol.TypeShutdown || m.Message == "" {
				errs <- errors.New("no shutdown message: " + m.Type)
				return
			}
			if line, err := c.ReceiveRaw(wait); err == nil {
				errs <- errors.New("message after shutdown: " + string(line))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	select {
	case err := <-s.served:
		if !errors.Is(err, tcpsync.ErrServerClosed) {
			t.Fatalf("Serve returned %v, want ErrServerClosed", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return")
	}
	if n := s.env.Hub.ActiveConnections(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after Shutdown")
	}
	t.Logf("shut down %d connections in %v", len(conns), took)
}
