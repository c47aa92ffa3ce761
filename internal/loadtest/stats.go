package loadtest

import (
	"math"
	"slices"
	"time"
)

// Recorder collects latency samples for one goroutine; merge recorders
// instead of sharing one, so that recording takes no lock. The cap bounds
// memory: samples beyond it are counted but not kept, and Summary says so.
type Recorder struct {
	samples []time.Duration
	limit   int
	dropped int
}

// NewRecorder returns a recorder that keeps at most limit samples (no bound
// when limit ≤ 0).
func NewRecorder(limit int) *Recorder {
	return &Recorder{limit: limit}
}

// Add records one latency.
func (r *Recorder) Add(d time.Duration) {
	if r.limit > 0 && len(r.samples) >= r.limit {
		r.dropped++
		return
	}
	r.samples = append(r.samples, d)
}

// Merge appends o's samples to r (r's limit is not applied to them).
func (r *Recorder) Merge(o *Recorder) {
	r.samples = append(r.samples, o.samples...)
	r.dropped += o.dropped
}

// Len is the number of samples kept.
func (r *Recorder) Len() int { return len(r.samples) }

// Samples returns the kept samples (not a copy).
func (r *Recorder) Samples() []time.Duration { return r.samples }

// Latency summarises a set of samples.
type Latency struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min_ns"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
	// Dropped samples were counted but not kept (the recorder was full);
	// the percentiles are over the kept ones.
	Dropped int `json:"dropped,omitempty"`
}

// Summary sorts r's samples and summarises them.
func (r *Recorder) Summary() Latency {
	s := r.samples
	slices.Sort(s)
	l := Latency{Count: len(s), Dropped: r.dropped}
	if len(s) == 0 {
		return l
	}
	var sum float64
	for _, d := range s {
		sum += float64(d)
	}
	l.Min, l.Max = s[0], s[len(s)-1]
	l.Mean = time.Duration(sum / float64(len(s)))
	l.P50 = Percentile(s, 50)
	l.P90 = Percentile(s, 90)
	l.P99 = Percentile(s, 99)
	l.P999 = Percentile(s, 99.9)
	return l
}

// Percentile returns the nearest-rank p-th percentile of sorted: the
// smallest sample such that at least p% of the samples are ≤ it. It is
// always one of the samples; 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p*n first, and a hair below the exact product, so that 99% of 100
	// samples is rank 99, not 100 through a rounding error of 0.99*100.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
