package loadtest

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/wire"
)

// IdleHolder opens Count authenticated connections and keeps them open,
// silent, until Close. It is one process's share of an idle-capacity run;
// the connection with global index Offset+i authenticates as
// Tokens[(Offset+i) % len(Tokens)], so a run spread over several processes
// spreads evenly over the users (mind the per-user connection cap).
type IdleHolder struct {
	Addr        string // host:port for TCP, ws://host:port/path for WebSocket
	Tokens      []string
	Offset      int
	Count       int
	Source      netip.Addr // zero: the system's choice
	Concurrency int        // handshakes in flight
	Timeout     time.Duration
	// Dial opens and authenticates one connection; nil is TCP (DialAuth).
	Dial IdleDialer

	conns []IdleConn
}

// IdleDialer connects from src (the zero Addr: any) to addr and
// authenticates with token, within timeout. A refusal is a *wire.ServerError
// carrying the server's code.
type IdleDialer func(ctx context.Context, addr string, src netip.Addr, token string, timeout time.Duration) (IdleConn, error)

// IdleConn is a held connection, TCP or WebSocket.
type IdleConn interface {
	// Ping sends a ping request with id and reports whether the pong came
	// within timeout.
	Ping(id string, timeout time.Duration) bool
	Close() error
}

// DialIdleTCP is the TCP IdleDialer.
func DialIdleTCP(ctx context.Context, addr string, src netip.Addr, token string, timeout time.Duration) (IdleConn, error) {
	c, err := DialAuth(ctx, addr, src, token, timeout)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// OpenReport is the outcome of opening the connections.
type OpenReport struct {
	Opened int `json:"opened"`
	Failed int `json:"failed"`
	// Codes counts failures by protocol error code ("dial", "io" for
	// failures without one).
	Codes      map[string]int `json:"codes,omitempty"`
	FirstError string         `json:"first_error,omitempty"`
	// StartNS and EndNS (Unix nanoseconds) bound the handshakes, so that a
	// coordinator can compute an aggregate rate over several processes.
	StartNS int64 `json:"start_ns"`
	EndNS   int64 `json:"end_ns"`
	// HandshakeUS are the successful handshakes' latencies (connect,
	// greeting, auth, auth_ok) in microseconds.
	HandshakeUS []int64 `json:"handshake_us"`
}

// Open opens the connections, Concurrency at a time.
func (h *IdleHolder) Open(ctx context.Context) OpenReport {
	rep := OpenReport{Codes: map[string]int{}}
	conc := max(h.Concurrency, 1)
	timeout := h.timeout()
	dial := h.Dial
	if dial == nil {
		dial = DialIdleTCP
	}
	type result struct {
		c   IdleConn
		lat time.Duration
		err error
	}
	results := make([]result, h.Count)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				tok := h.Tokens[(h.Offset+i)%len(h.Tokens)]
				c, err := dial(ctx, h.Addr, h.Source, tok, timeout)
				results[i] = result{c: c, lat: time.Since(t0), err: err}
			}
		}()
	}
feed:
	for i := range h.Count {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	end := time.Now()
	rep.StartNS, rep.EndNS = start.UnixNano(), end.UnixNano()
	for _, r := range results {
		switch {
		case r.c != nil:
			h.conns = append(h.conns, r.c)
			rep.HandshakeUS = append(rep.HandshakeUS, r.lat.Microseconds())
		case r.err != nil:
			rep.Failed++
			rep.Codes[failureCode(r.err)]++
			if rep.FirstError == "" {
				rep.FirstError = r.err.Error()
			}
		}
	}
	rep.Opened = len(h.conns)
	return rep
}

func (h *IdleHolder) timeout() time.Duration {
	if h.Timeout <= 0 {
		return 30 * time.Second
	}
	return h.Timeout
}

// failureCode names a failed handshake for the report.
func failureCode(err error) string {
	var se *wire.ServerError
	if errors.As(err, &se) && se.Code != "" {
		return se.Code
	}
	var de interface{ Timeout() bool }
	if errors.As(err, &de) && de.Timeout() {
		return "timeout"
	}
	return "io"
}

// CheckReport says how many of the held connections answered a ping.
type CheckReport struct {
	Alive int `json:"alive"`
	Dead  int `json:"dead"`
}

// Check pings every held connection, Concurrency at a time, and counts the
// ones that answer pong within the timeout.
func (h *IdleHolder) Check(ctx context.Context) CheckReport {
	var mu sync.Mutex
	var rep CheckReport
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(h.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ok := h.conns[i].Ping("check-"+strconv.Itoa(i), h.timeout())
				mu.Lock()
				if ok {
					rep.Alive++
				} else {
					rep.Dead++
				}
				mu.Unlock()
			}
		}()
	}
	for i := range h.conns {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return rep
}

// Close closes every held connection.
func (h *IdleHolder) Close() {
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
}
