package loadtest

import (
	"sync"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// near reports whether got is within the histogram's 0.1 % of want.
func near(got, want time.Duration) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	return float64(diff) <= 0.001*float64(want)
}

func TestSummaryPercentiles(t *testing.T) {
	r := NewRecorder()
	// Reversed, so that an order-dependent summary would be wrong.
	for i := 100; i >= 1; i-- {
		r.Add(ms(i))
	}
	l := r.Summary()
	if l.Count != 100 {
		t.Fatalf("Count = %d, want 100", l.Count)
	}
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"min", l.Min, ms(1)}, {"p50", l.P50, ms(50)}, {"p90", l.P90, ms(90)},
		{"p99", l.P99, ms(99)}, {"p99.9", l.P999, ms(100)}, {"max", l.Max, ms(100)},
		{"mean", l.Mean, 50500 * time.Microsecond},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v within 0.1 %%", c.name, c.got, c.want)
		}
	}
}

func TestRecorderClampsOutOfRange(t *testing.T) {
	r := NewRecorder()
	r.Add(0)
	r.Add(time.Hour)
	l := r.Summary()
	if l.Count != 2 || l.Min != time.Nanosecond || !near(l.Max, time.Minute) {
		t.Errorf("summary = %+v, want 2 values clamped to 1ns and 1m", l)
	}
}

func TestRecorderMergeAndConcurrentAdd(t *testing.T) {
	a, b := NewRecorder(), NewRecorder()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 250 {
				a.Add(ms(2))
			}
		})
	}
	wg.Wait()
	b.Add(ms(10))
	b.Merge(a)
	l := b.Summary()
	if l.Count != 1001 || !near(l.Max, ms(10)) || !near(l.P50, ms(2)) {
		t.Errorf("merged summary = %+v, want 1001 values, p50 2ms, max 10ms", l)
	}
	if a.Len() != 1000 {
		t.Errorf("merge changed its source: %d values, want 1000", a.Len())
	}
}

func TestEmptySummary(t *testing.T) {
	if l := NewRecorder().Summary(); l != (Latency{}) {
		t.Errorf("empty Summary = %+v, want zero", l)
	}
}
