package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mangahub/mangahub/internal/loadtest"
)

// flushBench compares ways of writing batches of progress to PostgreSQL.
func flushBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("flush", flag.ContinueOnError)
	url := fs.String("db", os.Getenv("MANGAHUB_DATABASE_URL"), "PostgreSQL URL of a database the bench may fill and empty")
	rows := fs.Int("rows", 100_000, "records per pass (1000–1000000, a multiple of -users)")
	batch := fs.Int("batch", 1000, "records per transaction or statement (1–100000)")
	users := fs.Int("users", 1000, "users (the records are users × rows/users manga)")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *url == "":
		return fmt.Errorf("-db (or MANGAHUB_DATABASE_URL) is required")
	case *rows < 1000 || *rows > 1_000_000 || *users < 1 || *rows%*users != 0:
		return fmt.Errorf("-rows must be 1000–1000000 and a multiple of -users")
	case *batch < 1 || *batch > 100_000:
		return fmt.Errorf("-batch must be 1–100000")
	}
	res, err := loadtest.FlushBench{URL: *url, Rows: *rows, Batch: *batch, Users: *users}.Run(ctx)
	if err != nil {
		return err
	}
	loadtest.WriteFlushText(os.Stdout, res)
	return loadtest.WriteJSON(*jsonPath, res)
}

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
