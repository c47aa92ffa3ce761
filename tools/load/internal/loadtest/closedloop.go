package loadtest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// ClosedLoop is a fixed number of clients that each send a request, wait
// for its answer and send the next, for a fixed time or a fixed number of
// requests, whichever ends first.
type ClosedLoop struct {
	// Clients is the number of concurrent clients (≥ 1).
	Clients int
	// Duration bounds the measured part of the run.
	Duration time.Duration
	// Warmup runs before the measured part; its requests are not counted.
	Warmup time.Duration
	// MaxRequests bounds the measured requests (no bound when ≤ 0).
	MaxRequests int
}

// Op is one request. client is 0..Clients-1 and seq counts that client's
// requests, so that drivers can pick queries deterministically.
type Op func(ctx context.Context, client, seq int) error

// Result is what a closed-loop run measured.
type Result struct {
	Clients  int           `json:"clients"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	RPS      float64       `json:"rps"`
	Latency  Latency       `json:"latency"`
	// FirstError is one error message, to tell what failed.
	FirstError string `json:"first_error,omitempty"`
}

// Run drives op. Latencies of failed requests are not in the summary; they
// are counted in Errors. ctx ending stops the run early.
func (cl ClosedLoop) Run(ctx context.Context, op Op) Result {
	clients := max(cl.Clients, 1)
	limit := cl.MaxRequests
	var issued atomic.Int64
	take := func() bool {
		return limit <= 0 || issued.Add(1) <= int64(limit)
	}

	begin := time.Now()
	measureFrom := begin.Add(cl.Warmup)
	stopAt := measureFrom.Add(cl.Duration)
	ctx, cancel := context.WithDeadline(ctx, stopAt.Add(30*time.Second))
	defer cancel()

	recs := make([]*Recorder, clients)
	errs := make([]int, clients)
	lastEnd := make([]time.Time, clients)
	var firstErr atomic.Pointer[string]
	var wg sync.WaitGroup
	for c := range clients {
		recs[c] = NewRecorder()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				start := time.Now()
				if !start.Before(stopAt) {
					return
				}
				measured := !start.Before(measureFrom)
				if measured && !take() {
					return
				}
				err := op(ctx, c, seq)
				end := time.Now()
				if !measured {
					continue
				}
				lastEnd[c] = end
				if err != nil {
					errs[c]++
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				recs[c].Add(end.Sub(start))
			}
		}()
	}
	wg.Wait()

	all := NewRecorder()
	res := Result{Clients: clients}
	end := measureFrom
	for c := range clients {
		all.Merge(recs[c])
		res.Errors += errs[c]
		if lastEnd[c].After(end) {
			end = lastEnd[c]
		}
	}
	res.Latency = all.Summary()
	res.Requests = res.Latency.Count + res.Errors
	res.Elapsed = end.Sub(measureFrom)
	if res.Elapsed > 0 {
		res.RPS = float64(res.Latency.Count) / res.Elapsed.Seconds()
	}
	if p := firstErr.Load(); p != nil {
		res.FirstError = *p
	}
	return res
}
