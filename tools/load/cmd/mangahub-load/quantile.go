package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
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
	if *q <= 0 || *q > 1 {
		return fmt.Errorf("-q must be in (0, 1]")
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
	bound, total, err := loadtest.HistogramQuantile(resp.Body, *name, *q)
	if err != nil {
		return err
	}
	fmt.Printf("%s p%g ≤ %gs (%d observations)\n", *name, *q*100, bound, total)
	return nil
}
