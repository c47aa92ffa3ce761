package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// HistogramQuantile reads the Prometheus text format from r and returns an
// upper bound of quantile q (0 < q ≤ 1) of the histogram name: the upper
// edge of the first bucket holding at least q of the observations, and how
// many observations there were. Buckets are cumulative, so this is the
// tightest bound the page gives.
func HistogramQuantile(r io.Reader, name string, q float64) (bound float64, total int64, err error) {
	var bounds, counts []float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := name + `_bucket{le="`
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		le, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		b, err1 := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			b, err1 = math.Inf(1), nil
		}
		c, err2 := strconv.ParseFloat(value, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("bad bucket line %q", line)
		}
		bounds, counts = append(bounds, b), append(counts, c)
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if len(counts) == 0 || counts[len(counts)-1] == 0 {
		return 0, 0, fmt.Errorf("%s: no observations", name)
	}
	all := counts[len(counts)-1]
	for i, c := range counts {
		if c >= q*all {
			return bounds[i], int64(all), nil
		}
	}
	return bounds[len(bounds)-1], int64(all), nil
}
