// Package metrics defines MangaHub's Prometheus collectors in one place, so
// that every transport and worker reports under the same names and labels.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector. Create one per process (or per test server)
// with New; nothing is registered globally.
type Metrics struct {
	Registry *prometheus.Registry

	// HTTPRequestDuration is labelled by route pattern (never the raw path),
	// method and status code.
	HTTPRequestDuration *prometheus.HistogramVec
	// ProgressUpdates counts progress writes by source (http|tcp|ws) and
	// result (applied|unchanged|conflict|rejected|rate_limited|error).
	ProgressUpdates *prometheus.CounterVec
	// AuthFailures counts failed logins and token checks by transport.
	AuthFailures *prometheus.CounterVec
	// RateLimited counts requests refused by a rate limiter by transport.
	RateLimited *prometheus.CounterVec

	TCPActiveConnections prometheus.Gauge
	TCPConnectionsOpened prometheus.Counter
	// FanoutDropped counts connections closed because their queue was full.
	FanoutDropped prometheus.Counter

	CacheRequests *prometheus.CounterVec
	FlushDuration prometheus.Histogram
	FlushRows     prometheus.Counter
	// FlushFailures counts batch writes that failed (and will be retried).
	FlushFailures      prometheus.Counter
	WriteBehindPending prometheus.Gauge
	// WriteBehindLag is how long written changes waited in the queue.
	WriteBehindLag prometheus.Histogram
	// WriteBehindParked counts queued changes the database refused (their
	// manga or user was deleted), moved to the dead-letter list.
	WriteBehindParked prometheus.Counter
}

// New creates the collectors and registers them, with the Go and process
// collectors, on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPRequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mangahub_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		ProgressUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mangahub_progress_updates_total",
			Help: "Progress updates by source transport and result.",
		}, []string{"source", "result"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mangahub_auth_failures_total",
			Help: "Failed logins and rejected tokens by transport.",
		}, []string{"transport"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mangahub_rate_limited_total",
			Help: "Requests refused by a rate limiter by transport.",
		}, []string{"transport"}),
		TCPActiveConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mangahub_tcp_active_connections",
			Help: "Live TCP and WebSocket sync connections.",
		}),
		TCPConnectionsOpened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mangahub_tcp_connections_opened_total",
			Help: "TCP and WebSocket sync connections accepted.",
		}),
		FanoutDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mangahub_fanout_slow_client_disconnects_total",
			Help: "Connections closed because their outbound queue was full.",
		}),
		CacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mangahub_cache_requests_total",
			Help: "Hot-store lookups by result (hit|miss|error).",
		}, []string{"result"}),
		FlushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mangahub_flush_duration_seconds",
			Help:    "Duration of write-behind flushes to the durable store.",
			Buckets: prometheus.DefBuckets,
		}),
		FlushRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mangahub_flush_rows_total",
			Help: "Rows written to the durable store by write-behind flushes.",
		}),
		FlushFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mangahub_flush_failures_total",
			Help: "Write-behind batch writes that failed and will be retried.",
		}),
		WriteBehindLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mangahub_write_behind_lag_seconds",
			Help:    "Time from a change's acknowledgement (first queued) to its write to the durable store.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 1.5, 2, 2.5, 3, 4, 5, 10, 30, 60, 300, 600},
		}),
		WriteBehindParked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mangahub_write_behind_parked_total",
			Help: "Queued changes refused by the database (manga or user gone), parked in the dead-letter list.",
		}),
		WriteBehindPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mangahub_write_behind_pending",
			Help: "Changes acknowledged but not yet in the durable store.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequestDuration, m.ProgressUpdates, m.AuthFailures, m.RateLimited,
		m.TCPActiveConnections, m.TCPConnectionsOpened, m.FanoutDropped,
		m.CacheRequests, m.FlushDuration, m.FlushRows, m.FlushFailures, m.WriteBehindPending, m.WriteBehindParked, m.WriteBehindLag,
	)
	// Series with labels appear in the output only once touched; touch the
	// ones the contract promises so that a fresh process exposes them.
	for _, t := range []string{"http", "tcp", "ws"} {
		m.AuthFailures.WithLabelValues(t)
		m.RateLimited.WithLabelValues(t)
	}
	for _, r := range []string{"hit", "miss", "error"} {
		m.CacheRequests.WithLabelValues(r)
	}
	// The results are package progress's Result* constants (metrics may not
	// import it); the series that stay at zero are the interesting ones.
	for _, src := range []string{"http", "tcp", "ws"} {
		for _, r := range []string{"applied", "unchanged", "conflict", "rejected", "rate_limited", "error"} {
			m.ProgressUpdates.WithLabelValues(src, r)
		}
	}
	return m
}
