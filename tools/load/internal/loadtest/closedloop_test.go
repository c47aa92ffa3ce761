package loadtest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosedLoopStopsAtMaxRequests(t *testing.T) {
	var calls atomic.Int64
	cl := ClosedLoop{Clients: 4, Duration: time.Minute, MaxRequests: 100}
	res := cl.Run(t.Context(), func(context.Context, int, int) error {
		calls.Add(1)
		return nil
	})
	if calls.Load() != 100 || res.Requests != 100 || res.Latency.Count != 100 {
		t.Errorf("calls=%d requests=%d samples=%d, want 100 each", calls.Load(), res.Requests, res.Latency.Count)
	}
	if res.Errors != 0 || res.RPS <= 0 || res.Clients != 4 {
		t.Errorf("result = %+v", res)
	}
}

func TestClosedLoopCountsErrorsApart(t *testing.T) {
	boom := errors.New("boom")
	cl := ClosedLoop{Clients: 1, Duration: time.Minute, MaxRequests: 50}
	res := cl.Run(t.Context(), func(_ context.Context, _, seq int) error {
		if seq%10 == 0 {
			return boom
		}
		return nil
	})
	if res.Requests != 50 || res.Errors != 5 || res.Latency.Count != 45 || res.FirstError != "boom" {
		t.Errorf("requests=%d errors=%d samples=%d first=%q, want 50, 5, 45, boom",
			res.Requests, res.Errors, res.Latency.Count, res.FirstError)
	}
}

func TestClosedLoopWarmupIsNotMeasured(t *testing.T) {
	var calls atomic.Int64
	start := time.Now()
	cl := ClosedLoop{Clients: 2, Warmup: 50 * time.Millisecond, Duration: 50 * time.Millisecond}
	res := cl.Run(t.Context(), func(context.Context, int, int) error {
		calls.Add(1)
		time.Sleep(time.Millisecond) // a request that takes time, not a wait for a condition
		return nil
	})
	if time.Since(start) < 100*time.Millisecond {
		t.Errorf("run ended after %s, before warm-up plus duration", time.Since(start))
	}
	if res.Requests == 0 || int64(res.Requests) >= calls.Load() {
		t.Errorf("measured %d of %d calls; warm-up calls must not be measured", res.Requests, calls.Load())
	}
}

func TestClosedLoopPassesClientAndSequence(t *testing.T) {
	seen := make([][]int, 3)
	cl := ClosedLoop{Clients: 3, Duration: time.Minute, MaxRequests: 30}
	cl.Run(t.Context(), func(_ context.Context, c, seq int) error {
		seen[c] = append(seen[c], seq) // each client is one goroutine
		return nil
	})
	total := 0
	for c, seqs := range seen {
		for i, s := range seqs {
			if s != i {
				t.Fatalf("client %d: request %d had seq %d", c, i, s)
			}
		}
		total += len(seqs)
	}
	if total != 30 {
		t.Errorf("%d requests over the clients, want 30", total)
	}
}
