package loadtest

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMillis(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0.000"},
		{1500 * time.Microsecond, "1.500"},
		{2*time.Second + time.Microsecond, "2000.001"},
		{999 * time.Nanosecond, "0.001"},
	}
	for _, tt := range tests {
		if got := Millis(tt.d); got != tt.want {
			t.Errorf("Millis(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestResultText(t *testing.T) {
	lat := Latency{Count: 100, Min: ms(1), Mean: 50500 * time.Microsecond, P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(100), Max: ms(100)}
	res := Result{Clients: 8, Requests: 102, Errors: 2, Elapsed: 2 * time.Second, RPS: 50, Latency: lat, FirstError: "status 500"}
	var b bytes.Buffer
	res.WriteText(&b, "search")
	out := b.String()
	for _, want := range []string{
		"search: 8 clients, 102 requests (2 errors) in 2s: 50.0 req/s",
		"n=100 p50=50.000 p90=90.000 p99=99.000 p99.9=100.000 max=100.000 mean=50.500 ms",
		"first error: status 500",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestIdleText(t *testing.T) {
	res := IdleResult{
		Requested: 10, Opened: 8, Failed: 2, Procs: 2, Concurrency: 4, ServerActive: 8,
		RSSBefore: &RSSReading{First: 10 << 20, Second: 10 << 20, Settled: true},
		RSSAfter:  &RSSReading{First: 11 << 20, Second: 11 << 20, Settled: true},
		PerConn:   4096,
		Check:     &CheckReport{Alive: 8},
	}
	var b bytes.Buffer
	res.WriteText(&b)
	out := b.String()
	for _, want := range []string{"8 of 10 connections authenticated (2 failed)", "RSS per connection: 4096 bytes (4.00 KiB)",
		"10240 KiB", "11264 KiB", "8 active TCP connections", "8 alive, 0 dead"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
