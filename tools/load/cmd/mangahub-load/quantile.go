package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metricQuantile reads a histogram from a /metrics page and prints an upper
// bound of one quantile (the upper edge of the bucket it falls in).
func metricQuantile(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("quantile", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8080/metrics", "a /metrics page on loopback")
	name := fs.String("name", "mangahub_write_behind_lag_seconds", "histogram name")
	q := fs.Float64("q", 0.99, "quantile (0–1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkHTTPBase(strings.TrimSuffix(*url, "/metrics")); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var (
		bounds []float64
		counts []float64
	)
	sc := bufio.NewScanner(resp.Body)
	prefix := *name + `_bucket{le="`
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
		bound, err1 := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			bound, err1 = math.Inf(1), nil
		}
		count, err2 := strconv.ParseFloat(value, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("bad bucket line %q", line)
		}
		bounds, counts = append(bounds, bound), append(counts, count)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(counts) == 0 || counts[len(counts)-1] == 0 {
		return fmt.Errorf("%s: no observations", *name)
	}
	total := counts[len(counts)-1]
	for i, c := range counts {
		if c >= *q*total {
			fmt.Printf("%s p%g ≤ %gs (%d observations)\n", *name, *q*100, bounds[i], int64(total))
			return nil
		}
	}
	return nil
}
