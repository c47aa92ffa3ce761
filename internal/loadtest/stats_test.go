package loadtest

import (
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// ramp returns 1 ms, 2 ms, …, n ms.
func ramp(n int) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = ms(i + 1)
	}
	return s
}

func TestPercentileNearestRank(t *testing.T) {
	tests := []struct {
		name string
		n    int
		p    float64
		want time.Duration
	}{
		{"empty", 0, 99, 0},
		{"single sample is every percentile", 1, 50, ms(1)},
		{"single sample p99", 1, 99, ms(1)},
		{"median of 100", 100, 50, ms(50)},
		{"p90 of 100", 100, 90, ms(90)},
		// 0.99*100 is 99.00000000000001 in floating point: rank 99, not 100.
		{"p99 of 100", 100, 99, ms(99)},
		{"p100 is the max", 100, 100, ms(100)},
		{"p0 is the min", 100, 0, ms(1)},
		{"p99 of 1000", 1000, 99, ms(990)},
		{"p99.9 of 1000", 1000, 99.9, ms(999)},
		{"p99 of 10 rounds up to the max", 10, 99, ms(10)},
		{"p50 of 3", 3, 50, ms(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(ramp(tt.n), tt.p); got != tt.want {
				t.Errorf("Percentile(1..%d ms, %v) = %v, want %v", tt.n, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarySortsAndSummarises(t *testing.T) {
	r := NewRecorder(0)
	// Reversed, so that a summary of unsorted samples would be wrong.
	for i := 100; i >= 1; i-- {
		r.Add(ms(i))
	}
	l := r.Summary()
	want := Latency{Count: 100, Min: ms(1), Mean: 50500 * time.Microsecond, P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(100), Max: ms(100)}
	if l != want {
		t.Errorf("Summary = %+v\nwant      %+v", l, want)
	}
}

func TestRecorderLimitAndMerge(t *testing.T) {
	a := NewRecorder(3)
	for i := 1; i <= 5; i++ {
		a.Add(ms(i))
	}
	if a.Len() != 3 {
		t.Fatalf("kept %d samples, want 3", a.Len())
	}
	b := NewRecorder(0)
	b.Add(ms(10))
	b.Merge(a)
	l := b.Summary()
	if l.Count != 4 || l.Dropped != 2 || l.Max != ms(10) || l.Min != ms(1) {
		t.Errorf("merged summary = %+v, want 4 kept, 2 dropped, 1–10 ms", l)
	}
}

func TestEmptySummary(t *testing.T) {
	if l := NewRecorder(0).Summary(); l != (Latency{}) {
		t.Errorf("empty Summary = %+v, want zero", l)
	}
}
