package writebehind

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// maxTouched bounds the users remembered while the hot store is down; past
// it, the libraries of the others may be served stale until their TTL ends,
// which is logged.
const maxTouched = 100_000

// gateWeight is the whole of the gate: a recovery takes all of it, every
// write around the hot store one unit.
const gateWeight = 1 << 40

// health tracks whether the hot store is in use. A failure takes it out of
// use at once (every request then goes to the database without waiting for
// a timeout first); a prober puts it back once it answers, after the queue
// was flushed and the libraries of the users written around it meanwhile
// were loaded again.
type health struct {
	probe func(ctx context.Context) error
	every time.Duration
	// settle runs once the hot store answers again, before anything else
	// (the write-behind flush); refresh brings the hot store in step for
	// users written around it.
	settle  func(ctx context.Context) error
	refresh func(ctx context.Context, users []string) error
	log     *slog.Logger

	// isDown is on every request's path: an atomic read, written under mu.
	downFlag atomic.Bool
	// gate keeps writes around the hot store and a recovery apart: a write
	// that reached the database during the recovery's flush would diverge
	// from what the flush settles, again and again while its user keeps
	// writing, and the recovery would never end.
	gate *semaphore.Weighted

	mu       sync.Mutex
	down     bool
	users    map[string]struct{}
	overflow bool
	closed   bool
	stop     chan struct{}
	probing  sync.WaitGroup
}

func newHealth(probe, settle func(context.Context) error, every time.Duration, refresh func(context.Context, []string) error, log *slog.Logger) *health {
	if probe == nil {
		probe = func(context.Context) error { return nil }
	}
	return &health{probe: probe, every: every, settle: settle, refresh: refresh, log: log,
		users: make(map[string]struct{}), stop: make(chan struct{}), gate: semaphore.NewWeighted(gateWeight)}
}

// enter admits a write around the hot store, waiting out a recovery in
// progress; done lets it go. While admitted, isDown stays as it was unless
// the hot store fails again.
func (h *health) enter(ctx context.Context) (done func(), err error) {
	if err := h.gate.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	return func() { h.gate.Release(1) }, nil
}

func (h *health) isDown() bool { return h.downFlag.Load() }

// fail takes the hot store out of use and starts the prober.
func (h *health) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down || h.closed {
		return
	}
	h.down = true
	h.downFlag.Store(true)
	h.log.Warn("hot store unavailable; reading and writing the database directly", "err", err)
	h.probing.Add(1)
	go h.run()
}

// touched records that userID's progress was written around the hot store.
// Once the hot store is back in use, the user is refreshed at once instead.
func (h *health) touched(ctx context.Context, userID string) {
	h.mu.Lock()
	if h.down {
		if len(h.users) < maxTouched {
			h.users[userID] = struct{}{}
		} else {
			h.overflow = true
		}
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	if err := h.refresh(ctx, []string{userID}); err != nil && ctx.Err() == nil {
		h.fail(err)
		h.touched(ctx, userID)
	}
}

func (h *health) run() {
	defer h.probing.Done()
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		if h.recover() {
			return
		}
	}
}

// recover probes the hot store and, when it answers, flushes its queue and
// refreshes every user written around it, then puts it back in use. Writes
// around it wait meanwhile (they resume on the hot store); users touched
// otherwise (a manga deleted) are taken in the next round, under the lock
// that ends the outage.
func (h *health) recover() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.probe(ctx); err != nil {
		return false
	}
	if err := h.gate.Acquire(ctx, gateWeight); err != nil {
		return false
	}
	defer h.gate.Release(gateWeight)
	for {
		h.mu.Lock()
		if len(h.users) == 0 {
			h.down = false
			h.downFlag.Store(false)
			overflow := h.overflow
			h.overflow = false
			h.mu.Unlock()
			if overflow {
				h.log.Error("hot store back in use; more users were written around it than remembered: their cached libraries may be stale until they expire")
			} else {
				h.log.Info("hot store back in use")
			}
			return true
		}
		taken := h.users
		h.users = make(map[string]struct{})
		h.mu.Unlock()
		// Flush first: what the taken users have queued is settled with
		// what they wrote around the hot store before their libraries load.
		if err := h.settle(ctx); err != nil {
			h.log.Warn("hot store answers but its queue could not be flushed yet; retrying", "err", err)
			h.giveBack(taken)
			return false
		}
		batch := make([]string, 0, len(taken))
		for u := range taken {
			batch = append(batch, u)
		}
		if err := h.refresh(ctx, batch); err != nil {
			h.log.Warn("hot store answers but could not be brought in step yet; retrying", "err", err)
			h.giveBack(taken)
			return false
		}
	}
}

// giveBack puts users taken for a refresh that failed back in the set.
func (h *health) giveBack(taken map[string]struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for u := range taken {
		h.users[u] = struct{}{}
	}
}

func (h *health) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
	h.mu.Unlock()
	h.probing.Wait()
}
