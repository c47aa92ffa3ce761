package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/metrics"
	"github.com/mangahub/mangahub/internal/ratelimit"
	"github.com/mangahub/mangahub/internal/redis"
	"github.com/mangahub/mangahub/internal/writebehind"
)

// DrainTimeout bounds the final flush of the write-behind queue at shutdown.
// What it cannot write stays queued in Redis for the next flusher.
const DrainTimeout = 30 * time.Second

// queueLease is how long a flusher holds a queue shard; a flusher that died
// mid-batch leaves its shard to the others (or to itself, restarted) after
// it. It must exceed the flusher's write timeout.
const queueLease = 15 * time.Second

// limits are the rate limiters of one process.
type limits struct {
	progress, authByAddr, authByLogin mangahub.RateLimiter
	// shared are the Redis-backed ones, which fall back to local buckets
	// while Redis is down (reported in /readyz).
	shared []*ratelimit.Fallback
}

func localLimits(cfg *config.Config) limits {
	return limits{
		progress:    ratelimit.New(cfg.RateLimit, nil),
		authByAddr:  ratelimit.New(cfg.AuthRateLimit, nil),
		authByLogin: ratelimit.New(cfg.AuthRateLimit, nil),
	}
}

// hybrid is the Redis side of a process: the hot store in front of the
// database, the write-behind queue and its flusher, the cluster bus and the
// cluster-wide limiters.
type hybrid struct {
	mode    string
	client  *redis.Client
	bus     *redis.Bus
	store   *writebehind.Store
	queue   *redis.Queue         // nil in write-through mode
	flusher *writebehind.Flusher // nil unless write-behind with the worker
	limits  limits
	log     *slog.Logger

	stopFlusher context.CancelFunc
	flushing    sync.WaitGroup
}

func openHybrid(cfg *config.Config, stores *Stores, m *metrics.Metrics, log *slog.Logger) (*hybrid, error) {
	durable, ok := stores.Progress.(writebehind.Durable)
	if !ok {
		return nil, fmt.Errorf("the %s engine cannot back the Redis hot store", stores.Engine)
	}
	redis.SetLogger(log)
	client, err := redis.Open(cfg.RedisURL, redis.Options{})
	if err != nil {
		return nil, fmt.Errorf("MANGAHUB_REDIS_URL: %w", err)
	}
	h := &hybrid{mode: cfg.WriteMode, client: client, log: log}
	h.bus = redis.NewBus(client, log)
	mode := writebehind.WriteThrough
	if cfg.WriteMode == config.WriteBehind {
		mode = writebehind.WriteBehind
	}
	var flush func(context.Context) error
	if mode == writebehind.WriteBehind {
		h.queue = redis.NewQueue(client, queueLease)
		// What settles the queue when Redis is back, before it is used
		// again: every process takes part, worker or not.
		flush = writebehind.NewFlusher(h.queue, durable, writebehind.FlusherConfig{Logger: log}).FlushOnce
	}
	h.store = writebehind.New(durable, redis.NewCache(client), writebehind.Config{
		Mode:  mode,
		Flush: flush,
		// Back in use once Redis takes writes and this instance hears its
		// events again.
		Probe: func(ctx context.Context) error {
			if err := client.Probe(ctx); err != nil {
				return err
			}
			if !h.bus.Ready() {
				return errors.New("redis: subscription not up yet")
			}
			return nil
		},
		CacheResult: func(r string) { m.CacheRequests.WithLabelValues(r).Inc() },
		Logger:      log,
	})
	shared := func(name string, l ratelimit.Limit) mangahub.RateLimiter {
		f := ratelimit.NewFallback(redis.NewLimiter(client, name, l), ratelimit.New(l, nil), func(err error) {
			log.Debug("shared rate limiter unavailable; deciding locally", "limiter", name, "err", err)
		})
		h.limits.shared = append(h.limits.shared, f)
		return f
	}
	h.limits.progress = shared("progress", cfg.RateLimit)
	h.limits.authByAddr = shared("auth-addr", cfg.AuthRateLimit)
	h.limits.authByLogin = shared("auth-login", cfg.AuthRateLimit)
	if mode == writebehind.WriteBehind {
		if cfg.Services.Worker {
			h.flusher = writebehind.NewFlusher(h.queue, durable, writebehind.FlusherConfig{
				Interval: cfg.FlushInterval,
				Batch:    cfg.FlushBatch,
				Flushed: func(rows int, took time.Duration) {
					m.FlushRows.Add(float64(rows))
					m.FlushDuration.Observe(took.Seconds())
				},
				Failed:  func(error) { m.FlushFailures.Inc() },
				Parked:  func(*mangahub.Progress) { m.WriteBehindParked.Inc() },
				Pending: func(n int) { m.WriteBehindPending.Set(float64(n)) },
				Lag:     func(d time.Duration) { m.WriteBehindLag.Observe(d.Seconds()) },
				Logger:  log,
			})
		}
	}
	return h, nil
}

// start checks Redis's settings and, once the database is migrated, runs
// the flusher.
func (h *hybrid) start(ctx context.Context, migrated <-chan struct{}) {
	go h.checkSettings(ctx)
	if h.flusher == nil {
		return
	}
	run, stop := context.WithCancel(context.Background())
	h.stopFlusher = stop
	h.flushing.Add(1)
	go func() {
		defer h.flushing.Done()
		select {
		case <-migrated:
		case <-run.Done():
			return
		}
		h.flusher.Run(run)
	}()
}

// checkSettings warns about Redis settings that break write-behind's
// promise: an eviction policy that may evict queued changes, and no
// persistence (a Redis restart then loses what is not flushed yet).
func (h *hybrid) checkSettings(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	policy, err := h.client.EvictionPolicy(ctx)
	switch {
	case err != nil:
		h.log.Warn("cannot read Redis's maxmemory-policy (CONFIG GET refused?); it must be noeviction or volatile-*", "err", err)
	case policy != "" && !redis.SafePolicy(policy):
		h.log.Warn("Redis may evict queued changes under its maxmemory-policy; use noeviction or a volatile-* policy",
			"maxmemory_policy", policy)
	}
	if h.queue == nil {
		return
	}
	if aof, err := h.client.Persistent(ctx); err == nil && !aof {
		h.log.Warn("Redis runs without an append-only file: write-behind changes not yet flushed are lost if Redis restarts; enable appendonly, or use MANGAHUB_WRITE_MODE=write-through")
	}
}

// shutdown stops the flusher, flushes everything still queued and closes
// the Redis side. It is safe on a nil hybrid.
func (h *hybrid) shutdown(log *slog.Logger) error {
	if h == nil {
		return nil
	}
	var err error
	if h.flusher != nil {
		h.stopFlusher()
		h.flushing.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
		start := time.Now()
		if err = h.flusher.Drain(ctx); err != nil {
			err = fmt.Errorf("final write-behind flush: %w (what remains stays queued in Redis)", err)
		} else {
			log.Info("write-behind queue flushed", "latency_ms", time.Since(start).Milliseconds())
		}
		cancel()
	}
	h.close()
	return err
}

func (h *hybrid) close() {
	if h == nil {
		return
	}
	h.store.Close()
	h.bus.Close()
	h.client.Close()
}
