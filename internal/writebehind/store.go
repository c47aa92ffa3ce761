// Package writebehind is the hybrid progress store: a hot store (Redis) in
// front of the durable one (PostgreSQL or SQLite). It keeps every user's
// whole library hot, serves reads from it, and either queues changes in the
// hot store for a Flusher to write in batches (write-behind: acknowledged
// once Redis holds the record and its queue entry) or commits them to the
// database first and then updates the hot store (write-through).
//
// While the hot store cannot be reached the Store goes around it: reads and
// writes use the database directly, so writes are still acknowledged (as
// write-through), and a prober brings the hot store back into use once it
// answers, after dropping the cached libraries written around it meanwhile.
//
// The Store knows no progress rules: like every engine it offers a
// compare-and-set by version, and package progress decides.
package writebehind

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/mangahub/mangahub"
)

// Durable is what the Store needs of the database: the plain progress store
// (the source of cache fills, and the store written around an unreachable
// hot store), the batch writer of the flusher, and a check of a new
// record's parents (the hot store has no foreign keys).
type Durable interface {
	mangahub.ProgressStore
	mangahub.ProgressBatchWriter
	CheckParents(ctx context.Context, userID string, mangaID int64) error
}

// Mode says when a change is acknowledged.
type Mode int

// Modes.
const (
	// WriteBehind acknowledges once the hot store holds the change and its
	// queue entry; a Flusher writes it to the database later.
	WriteBehind Mode = iota
	// WriteThrough acknowledges once the database committed; the hot store
	// is a cache (and publishes the change).
	WriteThrough
)

// Config tunes a Store; zero fields take defaults.
type Config struct {
	Mode Mode
	// Probe checks that the hot store can take writes again after a
	// failure (and that events published now reach this instance).
	Probe func(ctx context.Context) error
	// ProbeEvery is the probe's period while the hot store is down
	// (default 500ms).
	ProbeEvery time.Duration
	// Flush writes the queue to the database once (Flusher.FlushOnce). It
	// runs when the hot store answers again, before it is used: queued
	// records that diverged from changes written around it meanwhile are
	// settled before anyone reads them. Nil in write-through mode.
	Flush func(ctx context.Context) error
	// CacheResult is told "hit", "miss" or "error" for every hot-store
	// read (metrics).
	CacheResult func(result string)
	Logger      *slog.Logger
}

// Store is the hybrid progress store. It implements mangahub.ProgressStore.
type Store struct {
	durable Durable
	cache   mangahub.ProgressCache
	mode    Mode
	result  func(string)
	log     *slog.Logger
	health  *health
	flush   func(ctx context.Context) error
}

var _ mangahub.ProgressStore = (*Store)(nil)

// New returns a Store of cache in front of durable. Close stops its prober.
func New(durable Durable, cache mangahub.ProgressCache, cfg Config) *Store {
	if cfg.CacheResult == nil {
		cfg.CacheResult = func(string) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ProbeEvery <= 0 {
		cfg.ProbeEvery = 500 * time.Millisecond
	}
	s := &Store{durable: durable, cache: cache, mode: cfg.Mode, result: cfg.CacheResult, log: cfg.Logger, flush: cfg.Flush}
	s.health = newHealth(cfg.Probe, s.settle, cfg.ProbeEvery, s.reload, cfg.Logger)
	return s
}

// settle flushes the queue when the hot store answers again, before it is
// used: queued records that diverged from changes written around it are
// settled before anyone reads them.
func (s *Store) settle(ctx context.Context) error {
	if s.flush == nil {
		return nil
	}
	return s.flush(ctx)
}

// reload brings the libraries of users written around the hot store in step
// with the database: each is loaded again, over its clean records (queued
// ones are the flush's to settle).
func (s *Store) reload(ctx context.Context, users []string) error {
	for _, u := range users {
		if err := s.cache.Forget(ctx, u); err != nil {
			return err
		}
		if err := s.load(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the prober.
func (s *Store) Close() { s.health.close() }

// Degraded reports whether the hot store is being gone around.
func (s *Store) Degraded() bool { return s.health.isDown() }

// FindProgress implements mangahub.ProgressStore: from the hot store,
// loading the user's library on a miss.
func (s *Store) FindProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	if s.health.isDown() {
		return s.durable.FindProgress(ctx, userID, mangaID)
	}
	p, loaded, err := s.cache.CachedProgress(ctx, userID, mangaID)
	if err == nil && !loaded {
		s.result("miss")
		if err = s.load(ctx, userID); err == nil {
			p, loaded, err = s.cache.CachedProgress(ctx, userID, mangaID)
		}
	} else if err == nil {
		s.result("hit")
	}
	switch {
	case err != nil:
		if err := s.failed(ctx, err); err != nil {
			return nil, err
		}
		return s.durable.FindProgress(ctx, userID, mangaID)
	case !loaded:
		// Evicted as soon as loaded (a Redis short of memory): the
		// database has the same state.
		return s.durable.FindProgress(ctx, userID, mangaID)
	case p == nil:
		return nil, mangahub.Errorf(mangahub.CodeNotFound, "progress not found")
	}
	return p, nil
}

// FindProgresses implements mangahub.ProgressStore: the hot library,
// filtered, sorted and paged here.
func (s *Store) FindProgresses(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	if s.health.isDown() {
		return s.durable.FindProgresses(ctx, f)
	}
	lib, loaded, err := s.cache.CachedLibrary(ctx, f.UserID)
	if err == nil && !loaded {
		s.result("miss")
		if err = s.load(ctx, f.UserID); err == nil {
			lib, loaded, err = s.cache.CachedLibrary(ctx, f.UserID)
		}
	} else if err == nil {
		s.result("hit")
	}
	if err != nil {
		if err := s.failed(ctx, err); err != nil {
			return nil, 0, err
		}
		return s.durable.FindProgresses(ctx, f)
	}
	if !loaded {
		return s.durable.FindProgresses(ctx, f)
	}
	page, total := Page(lib, f)
	return page, total, nil
}

// Page applies f to a whole library, as the SQL engines do: its live records
// (tombstones too with IncludeDeleted) of f.Status, most recently updated
// first, ties broken by manga ID; a Limit of zero or less means all.
func Page(lib []*mangahub.Progress, f mangahub.ProgressFilter) ([]*mangahub.Progress, int) {
	match := make([]*mangahub.Progress, 0, len(lib))
	for _, p := range lib {
		if (p.Deleted && !f.IncludeDeleted) || (f.Status != "" && p.Status != f.Status) {
			continue
		}
		match = append(match, p)
	}
	slices.SortFunc(match, func(a, b *mangahub.Progress) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		switch {
		case a.MangaID < b.MangaID:
			return -1
		case a.MangaID > b.MangaID:
			return 1
		}
		return 0
	})
	total := len(match)
	lo := min(max(f.Offset, 0), total)
	hi := total
	if f.Limit > 0 {
		hi = min(lo+f.Limit, total)
	}
	return match[lo:hi:hi], total
}

// ApplyProgress implements mangahub.ProgressStore. It reports published
// when the hot store published the change with it; while the hot store is
// down the change goes to the database and the caller publishes.
func (s *Store) ApplyProgress(ctx context.Context, ch mangahub.ProgressChange) (bool, error) {
	if s.health.isDown() {
		return s.applyAround(ctx, ch, true)
	}
	if s.mode == WriteThrough {
		return s.applyThrough(ctx, ch)
	}
	p := ch.Progress
	if !p.Deleted && (p.Version == 1 || ch.BaseDeleted) {
		// A new record: the hot store cannot tell whether its manga
		// exists; the database can (a record of a manga deleted later is
		// parked by the flusher).
		if err := s.durable.CheckParents(ctx, p.UserID, p.MangaID); err != nil {
			return false, err
		}
	}
	for range 2 {
		err := s.cache.ApplyQueued(ctx, ch)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, mangahub.ErrNotLoaded):
			if err := s.load(ctx, p.UserID); err != nil {
				if err := s.failed(ctx, err); err != nil {
					return false, err
				}
				return s.applyAround(ctx, ch, false)
			}
			continue
		case errors.Is(err, mangahub.ErrVersionMismatch):
			return false, s.whyNot(ctx, ch)
		default:
			if err := s.failed(ctx, err); err != nil {
				return false, err
			}
			return s.applyAround(ctx, ch, false)
		}
	}
	// The library is evicted as soon as it is loaded (Redis short of
	// memory under a volatile policy). It then holds nothing queued for
	// this user, so the database is as current as the cache would be.
	return s.applyAround(ctx, ch, false)
}

// whyNot explains a refused compare-and-set: another writer, unless there
// is no record at all and the manga or user does not exist.
func (s *Store) whyNot(ctx context.Context, ch mangahub.ProgressChange) error {
	p := ch.Progress
	if p.Version > 1 && !ch.BaseDeleted {
		if cur, loaded, err := s.cache.CachedProgress(ctx, p.UserID, p.MangaID); err == nil && loaded && cur == nil {
			if err := s.durable.CheckParents(ctx, p.UserID, p.MangaID); err != nil {
				return err
			}
		}
	}
	return mangahub.ErrVersionMismatch
}

// applyThrough commits to the database, then brings the cache in step and
// publishes, in one hot-store step.
func (s *Store) applyThrough(ctx context.Context, ch mangahub.ProgressChange) (bool, error) {
	if _, err := s.durable.ApplyProgress(ctx, ch); err != nil {
		if errors.Is(err, mangahub.ErrVersionMismatch) {
			// The cache may hold a state the database has left (a merge
			// that failed): read the library again next time.
			_ = s.cache.Forget(ctx, ch.Progress.UserID)
		}
		return false, err
	}
	if err := s.cache.ApplyMerged(ctx, ch); err != nil {
		_ = s.failed(ctx, err)
		s.health.touched(ctx, ch.Progress.UserID)
		return false, nil // committed: the caller publishes
	}
	return true, nil
}

// applyAround writes to the database while the hot store is down, and
// remembers the user, whose cached library is stale once the hot store is
// back. It waits out a recovery in progress; if that put the hot store back
// in use and retry allows, the change takes the usual way instead.
func (s *Store) applyAround(ctx context.Context, ch mangahub.ProgressChange, retry bool) (bool, error) {
	done, err := s.health.enter(ctx)
	if err != nil {
		return false, err
	}
	if retry && !s.health.isDown() {
		done()
		return s.ApplyProgress(ctx, ch)
	}
	defer done()
	// The hot store may still hold queued changes of this record: mark the
	// write, so that the flush reconciles the two rather than letting the
	// higher version win.
	ch.Direct = s.mode == WriteBehind
	_, err = s.durable.ApplyProgress(ctx, ch)
	// Even a failed write may have committed (a timeout after the commit).
	s.health.touched(ctx, ch.Progress.UserID)
	return false, err
}

// load fills the user's library from the database.
func (s *Store) load(ctx context.Context, userID string) error {
	ps, _, err := s.durable.FindProgresses(ctx, mangahub.ProgressFilter{UserID: userID, IncludeDeleted: true})
	if err != nil {
		return durableError{err}
	}
	return s.cache.FillLibrary(ctx, userID, ps)
}

// durableError marks a database failure met on the way to the hot store, so
// that failed does not blame the hot store for it.
type durableError struct{ err error }

func (e durableError) Error() string { return e.err.Error() }
func (e durableError) Unwrap() error { return e.err }

// failed decides what a hot-store error means: the caller's own context
// ending is returned as it is; anything else takes the hot store out of use
// until the prober finds it working (nil: go around it).
func (s *Store) failed(ctx context.Context, err error) error {
	if d := (durableError{}); errors.As(err, &d) {
		return d.err
	}
	if ctx.Err() != nil {
		return err
	}
	if c := mangahub.ErrorCodeOf(err); c != mangahub.CodeUnavailable && c != mangahub.CodeInternal {
		return err // a verdict (not found, mismatch), not a failure
	}
	s.health.fail(err)
	return nil
}

// FindReaders implements mangahub.ProgressStore: the database's readers,
// as the queue changes them (records created or deleted since the last
// flush).
func (s *Store) FindReaders(ctx context.Context, mangaID int64) ([]string, error) {
	users, err := s.durable.FindReaders(ctx, mangaID)
	if err != nil || s.health.isDown() {
		return users, err
	}
	queued, err := s.cache.QueuedReaders(ctx, mangaID)
	if err != nil {
		if err := s.failed(ctx, err); err != nil {
			return nil, err
		}
		return users, nil
	}
	readers := make([]string, 0, len(users)+len(queued))
	for _, u := range users {
		if live, ok := queued[u]; !ok || live {
			readers = append(readers, u)
		}
		delete(queued, u)
	}
	for u, live := range queued {
		if live {
			readers = append(readers, u)
		}
	}
	return readers, nil
}
