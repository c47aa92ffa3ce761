package loadtest

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The latency range a Recorder tracks: 1 ns to a minute, to three
// significant digits (a reported value is within 0.1 % of one observed).
// Anything slower than a minute is clamped to it: a run bounded in minutes
// cannot tell them apart anyway.
const (
	minLatency = int64(time.Nanosecond)
	maxLatency = int64(time.Minute)
	sigFigs    = 3
)

// Recorder collects latencies in an HdrHistogram: fixed memory (about
// 210 KiB) however many requests a run makes. It is safe for concurrent
// use; a closed loop still gives each client its own and merges them at
// the end, so that the hot loop takes no shared lock.
type Recorder struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{h: hdrhistogram.New(minLatency, maxLatency, sigFigs)}
}

// Add records one latency.
func (r *Recorder) Add(d time.Duration) {
	v := min(max(int64(d), minLatency), maxLatency)
	r.mu.Lock()
	r.h.RecordValue(v) // cannot fail: v is in range
	r.mu.Unlock()
}

// Merge adds o's latencies to r.
func (r *Recorder) Merge(o *Recorder) {
	o.mu.Lock()
	snap := o.h.Export()
	o.mu.Unlock()
	r.mu.Lock()
	r.h.Merge(hdrhistogram.Import(snap))
	r.mu.Unlock()
}

// Len is the number of latencies recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.h.TotalCount())
}

// Latency summarises a set of latencies.
type Latency struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summary summarises what r recorded; the zero Latency when nothing.
func (r *Recorder) Summary() Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.h
	if h.TotalCount() == 0 {
		return Latency{}
	}
	at := func(q float64) time.Duration { return time.Duration(h.ValueAtQuantile(q)) }
	return Latency{
		Count: int(h.TotalCount()),
		Min:   time.Duration(h.Min()),
		Mean:  time.Duration(h.Mean()),
		P50:   at(50),
		P90:   at(90),
		P99:   at(99),
		P999:  at(99.9),
		Max:   time.Duration(h.Max()),
	}
}
