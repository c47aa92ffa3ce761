package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Millis formats d in milliseconds with microsecond resolution.
func Millis(d time.Duration) string {
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

// String is one line: count, then the percentiles in milliseconds.
func (l Latency) String() string {
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s p99.9=%s max=%s mean=%s ms",
		l.Count, Millis(l.P50), Millis(l.P90), Millis(l.P99), Millis(l.P999), Millis(l.Max), Millis(l.Mean))
}

// WriteText writes a closed-loop result as a few labelled lines.
func (r Result) WriteText(w io.Writer, label string) {
	fmt.Fprintf(w, "%s: %d clients, %d requests (%d errors) in %s: %.1f req/s\n",
		label, r.Clients, r.Requests, r.Errors, r.Elapsed.Round(time.Millisecond), r.RPS)
	fmt.Fprintf(w, "  latency %s\n", r.Latency)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
}

// WriteText writes an idle run's result.
func (r IdleResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "idle: %d of %d connections authenticated (%d failed) by %d processes × %d handshakes in flight\n",
		r.Opened, r.Requested, r.Failed, r.Procs, r.Concurrency)
	if len(r.Codes) > 0 {
		fmt.Fprintf(w, "  failures by code: %v; first: %s\n", r.Codes, r.FirstError)
	}
	fmt.Fprintf(w, "  handshakes: %.0f/s over %s; latency %s\n",
		r.HandshakeRate, r.HandshakeElapsed.Round(time.Millisecond), r.Handshake)
	if r.RSSBefore != nil && r.RSSAfter != nil {
		fmt.Fprintf(w, "  server RSS before: %s, %s (settled %v after %s)\n",
			kib(r.RSSBefore.First), kib(r.RSSBefore.Second), r.RSSBefore.Settled, r.RSSBefore.Waited.Round(time.Second))
		fmt.Fprintf(w, "  server RSS after:  %s, %s (settled %v after %s)\n",
			kib(r.RSSAfter.First), kib(r.RSSAfter.Second), r.RSSAfter.Settled, r.RSSAfter.Waited.Round(time.Second))
		fmt.Fprintf(w, "  RSS per connection: %.0f bytes (%.2f KiB)\n", r.PerConn, r.PerConn/1024)
	}
	if r.MetricsAfter != nil {
		fmt.Fprintf(w, "  server metrics before: %s\n  server metrics after:  %s\n", metricLine(r.MetricsBefore), metricLine(r.MetricsAfter))
	}
	if r.ServerActive >= 0 {
		fmt.Fprintf(w, "  server reports %d active TCP connections\n", r.ServerActive)
	}
	if r.Check != nil {
		fmt.Fprintf(w, "  ping check: %d alive, %d dead\n", r.Check.Alive, r.Check.Dead)
	}
}

// WriteText writes a fan-out run's result.
func (r FanoutResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "fan-out: %d users × %d connections, target %.0f updates/s for %s\n",
		r.Users, r.ConnsPerUser, r.TargetRate, r.Duration)
	fmt.Fprintf(w, "  sent %d (%d in the measured window: %.1f/s); %d sends >1 ms behind schedule, worst %s ms\n",
		r.Sent, r.SentMeasured, r.SendRate, r.Late, Millis(r.MaxLag))
	fmt.Fprintf(w, "  acks %d (%d applied), answered %d of %d; acks during the window: %.1f/s\n",
		r.Acks, r.Applied, r.Answered, r.Sent, r.AckRate)
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "  errors by code: %v\n", r.Errors)
	}
	fmt.Fprintf(w, "  broadcasts %d of %d expected\n", r.Broadcasts, r.Expected)
	fmt.Fprintf(w, "  ack latency     %s\n", r.AckLatency)
	fmt.Fprintf(w, "  fan-out latency %s\n", r.FanLatency)
}

func kib(b int64) string { return fmt.Sprintf("%d KiB", b>>10) }

func metricLine(m map[string]float64) string {
	var parts []string
	for _, k := range watchedMetrics {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%.0f", strings.TrimPrefix(k, "go_memstats_"), v))
		}
	}
	return strings.Join(parts, " ")
}

// WriteJSON writes v, indented, to path ("" writes nothing).
func WriteJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
