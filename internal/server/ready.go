package server

import (
	"context"
	"time"

	"github.com/mangahub/mangahub/internal/httpapi"
)

// readiness reports the components of this process for /readyz: the
// database always; Redis (hot store, bus, shared limiters) and the
// write-behind queue when configured; live sync connections when a
// transport runs. A database that does not answer makes the process
// unavailable; a Redis that does not answer only degrades it (everything
// goes to the database meanwhile).
func (s *Server) readiness(ctx context.Context) httpapi.Readiness {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	components := map[string]any{}
	status := "ok"
	worst := func(st string) {
		if st == "unavailable" || (st == "degraded" && status == "ok") {
			status = st
		}
	}

	db, dbStatus := s.databaseReadiness(ctx)
	components["database"] = db
	worst(dbStatus)
	if s.hybrid != nil {
		cache, cacheStatus := s.hybrid.cacheReadiness(ctx)
		components["cache"] = cache
		worst(cacheStatus)
		if wb := s.hybrid.writeBehindReadiness(ctx); wb != nil {
			components["write_behind"] = wb
		}
	}
	if s.cfg.Services.TCP || s.cfg.Services.HTTP {
		components["tcp"] = map[string]any{"status": "ok", "active_connections": s.hub.ActiveConnections()}
	}
	return httpapi.Readiness{Status: status, Components: components}
}

func (s *Server) databaseReadiness(ctx context.Context) (map[string]any, string) {
	start := time.Now()
	err := s.stores.DB.Ping(ctx)
	latency := time.Since(start)
	s.mu.Lock()
	ready, migErr := s.dbReady, s.dbErr
	s.mu.Unlock()

	db := map[string]any{"engine": s.stores.Engine, "latency_ms": ms(latency)}
	switch {
	case err != nil:
		db["status"], db["error"] = "unavailable", "database does not answer"
	case !ready:
		db["status"], db["error"] = "unavailable", "migrations pending"
		if migErr != nil {
			db["error"] = "migrations failed; retrying"
		}
	default:
		db["status"] = "ok"
	}
	return db, db["status"].(string)
}

// cacheReadiness reports Redis: whether it answers, whether the hot store
// is in use or gone around, and whether the shared limiters decide locally.
func (h *hybrid) cacheReadiness(ctx context.Context) (map[string]any, string) {
	start := time.Now()
	err := h.client.Ping(ctx)
	c := map[string]any{"engine": "redis", "latency_ms": ms(time.Since(start)), "write_mode": h.mode, "bus": "ok"}
	status := "ok"
	if !h.bus.Ready() {
		c["bus"] = "reconnecting"
		status = "degraded"
	}
	if h.store.Degraded() {
		c["hot_store"] = "bypassed: reading and writing the database directly"
		status = "degraded"
	}
	for _, l := range h.limits.shared {
		if l.Degraded() {
			c["rate_limits"] = "per instance while Redis is down"
			status = "degraded"
		}
	}
	if err != nil {
		c["error"] = "redis does not answer"
		status = "degraded"
	}
	c["status"] = status
	return c, status
}

// writeBehindReadiness reports the queue: how much waits, since when, and
// this process's last flush. Nil in write-through mode.
func (h *hybrid) writeBehindReadiness(ctx context.Context) map[string]any {
	if h.queue == nil {
		return nil
	}
	wb := map[string]any{"status": "ok", "flusher": h.flusher != nil}
	n, oldest, err := h.queue.Pending(ctx)
	if err != nil {
		wb["status"], wb["error"] = "unknown", "queue not readable while Redis is down"
		return wb
	}
	wb["pending"] = n
	wb["oldest_pending_age_ms"] = 0.0
	if !oldest.IsZero() {
		wb["oldest_pending_age_ms"] = ms(time.Since(oldest))
	}
	wb["last_flush_at"] = nil
	if h.flusher != nil {
		st := h.flusher.Status()
		if !st.LastFlush.IsZero() {
			wb["last_flush_at"] = st.LastFlush
		}
		if st.Err != nil {
			wb["status"], wb["error"] = "failing", "flushes fail; retrying with backoff"
		}
	}
	return wb
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
