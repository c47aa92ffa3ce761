package loadtest

import (
	"math"
	"strings"
	"testing"
)

const page = `# HELP lag_seconds lag
# TYPE lag_seconds histogram
lag_seconds_bucket{le="0.1"} 50
lag_seconds_bucket{le="0.5"} 90
lag_seconds_bucket{le="1"} 99
lag_seconds_bucket{le="+Inf"} 100
lag_seconds_sum 40
lag_seconds_count 100
other_bucket{le="0.1"} 1
`

func TestHistogramQuantile(t *testing.T) {
	tests := []struct {
		q     float64
		bound float64
	}{
		{0.5, 0.1}, {0.51, 0.5}, {0.9, 0.5}, {0.99, 1}, {1, math.Inf(1)},
	}
	for _, tt := range tests {
		bound, total, err := HistogramQuantile(strings.NewReader(page), "lag_seconds", tt.q)
		if err != nil || bound != tt.bound || total != 100 {
			t.Errorf("q=%v: %v, %d, %v; want %v of 100", tt.q, bound, total, err, tt.bound)
		}
	}
	if _, _, err := HistogramQuantile(strings.NewReader(page), "missing", 0.5); err == nil {
		t.Error("a histogram not on the page: no error")
	}
	if _, _, err := HistogramQuantile(strings.NewReader(`lag_seconds_bucket{le="x"} 1`+"\n"), "lag_seconds", 0.5); err == nil {
		t.Error("a malformed bucket: no error")
	}
}
