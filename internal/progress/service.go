// Package progress is the one place for the reading-progress rules. HTTP, TCP
// and WebSocket all call Service; stores only offer a compare-and-set by
// version, so the same rules hold on every engine and concurrent writers
// retry instead of overwriting each other.
package progress

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mangahub/mangahub"
)

// Results reported to Config.Observe, one per Update call.
const (
	ResultApplied     = "applied"
	ResultUnchanged   = "unchanged"
	ResultConflict    = "conflict"
	ResultRejected    = "rejected"
	ResultRateLimited = "rate_limited"
	ResultError       = "error"
)

// maxListLimit caps "all of a user's records" for transports that list
// without paging (TCP list_progress).
const maxListLimit = 10_000

// casAttempts bounds the read–apply–compare-and-set loop. Each retry means
// another writer of the same (user, manga) won; more than a handful in a row
// means something is wrong rather than busy.
const casAttempts = 16

// MangaFinder is what the service needs of the catalog: whether a manga
// exists and how many chapters it has.
type MangaFinder interface {
	FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error)
}

// Config tunes a Service; every field is optional.
type Config struct {
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Observe is told the source and result of every Update (metrics).
	Observe func(source mangahub.Source, result string)
	Logger  *slog.Logger
	// LibraryCacheTTL, when positive, keeps users' libraries in memory for
	// List (library.go) for at most this long. Only for a process whose
	// store no one else writes but through this Service, or where lists
	// this stale are acceptable: zero (the default) reads the store on
	// every List.
	LibraryCacheTTL time.Duration
}

// Service applies, reads and deletes progress and publishes every applied
// change on the bus.
type Service struct {
	store    mangahub.ProgressStore
	chapters *chapterCache
	hints    *hints   // nil unless the store is CompareAndSetOnly (hints.go)
	library  *library // nil unless Config.LibraryCacheTTL (library.go)
	bus      mangahub.Bus
	limiter  mangahub.RateLimiter
	now      func() time.Time
	observe  func(mangahub.Source, string)
	log      *slog.Logger
}

// New returns a Service. limiter may be nil (no per-user limit).
func New(store mangahub.ProgressStore, manga MangaFinder, bus mangahub.Bus, limiter mangahub.RateLimiter, cfg Config) *Service {
	s := &Service{store: store, hints: newHints(store), bus: bus, limiter: limiter, now: cfg.Now, observe: cfg.Observe, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	s.library = newLibrary(store, cfg.LibraryCacheTTL, s.now)
	s.chapters = &chapterCache{manga: manga, now: s.now, entries: make(map[int64]chapterEntry)}
	if s.observe == nil {
		s.observe = func(mangahub.Source, string) {}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Update applies upd to userID's progress. It returns the stored record
// (the new one when applied, the unchanged one otherwise), whether the
// update changed it and, when not, why. Only applied changes are published.
func (s *Service) Update(ctx context.Context, userID string, origin mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error) {
	res, err := s.update(ctx, userID, origin, upd)
	s.observe(origin.Source, resultOf(res.Applied, err))
	return res, err
}

func (s *Service) update(ctx context.Context, userID string, origin mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error) {
	var none mangahub.ProgressResult
	if err := Validate(upd); err != nil {
		return none, err
	}
	total, cur, hinted, err := s.prepare(ctx, userID, upd.MangaID)
	if err != nil {
		return none, err
	}
	for range casAttempts {
		res, err := Apply(cur, userID, upd, total, s.now())
		if (err != nil || !res.Applied) && !hinted {
			return res, err
		}
		if err == nil && res.Applied {
			ch := mangahub.ProgressChange{Progress: res.Progress, BaseDeleted: cur != nil && cur.Deleted, Origin: origin}
			err := s.apply(ctx, ch)
			if err == nil {
				return res, nil
			}
			if !errors.Is(err, mangahub.ErrVersionMismatch) {
				return none, err
			}
		}
		// Another writer won, or the hint was stale, or the rules refused
		// or ignored the update on the strength of a hint: read the record
		// and apply again.
		hinted = false
		if cur, _, err = s.stored(ctx, userID, upd.MangaID); err != nil {
			return none, err
		}
	}
	return none, errTooManyWriters
}

// prepare takes a token of the user's budget and gathers what the rules
// need: the manga's chapter count and the current record (nil when none),
// from the hints when there is one (hinted).
func (s *Service) prepare(ctx context.Context, userID string, mangaID int64) (total *int, cur *mangahub.Progress, hinted bool, err error) {
	if cur = s.hints.get(userID, mangaID); cur != nil {
		// No read to overlap the limiter with.
		if err = s.allow(ctx, userID); err != nil {
			return nil, nil, false, err
		}
		total, err = s.chapters.totalChapters(ctx, mangaID)
		return total, cur, true, err
	}
	// The per-user limit and the first read are independent round trips
	// (both to Redis in a cluster): take them together. A refused update
	// has then read for nothing, which is cheap.
	limited := make(chan error, 1)
	go func() { limited <- s.allow(ctx, userID) }()
	total, err = s.chapters.totalChapters(ctx, mangaID)
	if err == nil {
		cur, _, err = s.stored(ctx, userID, mangaID) // nil when none: Apply's "no record"
	}
	if lerr := <-limited; lerr != nil {
		return nil, nil, false, lerr
	}
	return total, cur, false, err
}

var errTooManyWriters = mangahub.Unavailable(errors.New("progress: too many concurrent writers"))

// apply stores ch and, unless the store did it in the same step, publishes
// it.
func (s *Service) apply(ctx context.Context, ch mangahub.ProgressChange) error {
	published, err := s.store.ApplyProgress(ctx, ch)
	// Applied or not, the library may have changed: a failure leaves the
	// stored state unknown. Dropped before this service publishes the
	// change, so that a device told of it lists it (a store that publishes
	// in the same step is the Redis one, which serve runs without the
	// cache).
	s.library.invalidate(ch.Progress.UserID)
	if err != nil {
		// A mismatch means the hint, if any, is stale; any other failure
		// leaves the stored state unknown.
		s.hints.forget(ch.Progress.UserID, ch.Progress.MangaID)
		return err
	}
	s.hints.put(ch.Progress)
	if !published {
		s.publish(ctx, ch.Event())
	}
	return nil
}

// Get returns one record; CodeNotFound when there is none.
func (s *Service) Get(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	if mangaID <= 0 {
		return nil, noProgress(mangaID)
	}
	p, found, err := s.stored(ctx, userID, mangaID)
	if err != nil {
		return nil, err
	}
	if !found || p.Deleted {
		return nil, noProgress(mangaID)
	}
	return p, nil
}

func noProgress(mangaID int64) error {
	return mangahub.Errorf(mangahub.CodeNotFound, "no progress for manga %d", mangaID)
}

// List returns a page of the user's records, most recently updated first,
// and how many there are in all. A Limit of 0 means all of them (up to
// 10,000). The records may be shared with other callers (the library
// cache): they, and the slice, are read-only.
func (s *Service) List(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	var errs []error
	if f.Status != "" && !f.Status.Valid() {
		errs = append(errs, mangahub.FieldError("status", "must be one of reading, completed, plan_to_read, on_hold, dropped, re_reading"))
	}
	if f.Limit < 0 || f.Limit > maxListLimit {
		errs = append(errs, mangahub.FieldError("limit", "must be between 1 and %d", maxListLimit))
	}
	if f.Offset < 0 {
		errs = append(errs, mangahub.FieldError("offset", "must be at least 0"))
	}
	if err := mangahub.ValidationOf(errs...); err != nil {
		return nil, 0, err
	}
	if f.Limit == 0 {
		f.Limit = maxListLimit
	}
	if s.library != nil && !f.IncludeDeleted {
		return s.library.list(ctx, f)
	}
	return s.store.FindProgresses(ctx, f)
}

// Delete removes a record and tells the user's other devices. The store
// keeps a tombstone at the deleted version, so that versions never repeat.
func (s *Service) Delete(ctx context.Context, userID string, origin mangahub.Origin, mangaID int64) error {
	if mangaID <= 0 {
		return noProgress(mangaID)
	}
	if err := s.allow(ctx, userID); err != nil {
		return err
	}
	return s.remove(ctx, userID, origin, mangaID)
}

// RemoveManga deletes every user's record of mangaID, telling each user's
// devices as any delete does; the catalog calls it before the manga itself
// goes. It is not rate limited: it is an administrator's act, not the
// readers'.
func (s *Service) RemoveManga(ctx context.Context, mangaID int64) error {
	readers, err := s.store.FindReaders(ctx, mangaID)
	if err != nil {
		return err
	}
	for _, userID := range readers {
		err := s.remove(ctx, userID, mangahub.Origin{Source: mangahub.SourceHTTP}, mangaID)
		if err != nil && !mangahub.IsCode(err, mangahub.CodeNotFound) {
			return err
		}
	}
	return nil
}

func (s *Service) remove(ctx context.Context, userID string, origin mangahub.Origin, mangaID int64) error {
	for range casAttempts {
		cur, found, err := s.stored(ctx, userID, mangaID)
		if err != nil {
			return err
		}
		if !found || cur.Deleted {
			return noProgress(mangaID)
		}
		tomb := *cur
		tomb.Deleted = true
		err = s.apply(ctx, mangahub.ProgressChange{Progress: &tomb, Origin: origin})
		if errors.Is(err, mangahub.ErrVersionMismatch) {
			continue
		}
		return err
	}
	return errTooManyWriters
}

// stored returns the stored record or tombstone; found is false when there
// never was one, which for the rules is a state like any other, not an
// error.
func (s *Service) stored(ctx context.Context, userID string, mangaID int64) (p *mangahub.Progress, found bool, err error) {
	p, err = s.store.FindProgress(ctx, userID, mangaID)
	switch {
	case mangahub.IsCode(err, mangahub.CodeNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return p, true, nil
}

// allow takes a token of userID's progress budget. A limiter that cannot
// decide lets the write through: the limit protects the service, and
// refusing every write while its store is down would be the worse outage.
func (s *Service) allow(ctx context.Context, userID string) error {
	if s.limiter == nil {
		return nil
	}
	ok, wait, err := s.limiter.Allow(ctx, userID)
	if err != nil {
		s.log.Warn("rate limiter unavailable; allowing", "user_id", userID, "err", err)
		return nil
	}
	if !ok {
		return &mangahub.Error{Code: mangahub.CodeRateLimited, Message: "too many progress updates; retry later", RetryAfter: wait}
	}
	return nil
}

// publish hands an applied change to the bus. The change is already stored,
// so a bus failure is logged, not returned: the writer's ack must not claim a
// failure that did not happen.
func (s *Service) publish(ctx context.Context, ev mangahub.Event) {
	if err := s.bus.Publish(ctx, ev); err != nil {
		s.log.Error("publish progress event", "user_id", ev.UserID, "manga_id", ev.MangaID, "operation", string(ev.Type), "err", err)
	}
}

func resultOf(applied bool, err error) string {
	switch mangahub.ErrorCodeOf(err) {
	case "":
		if applied {
			return ResultApplied
		}
		return ResultUnchanged
	case mangahub.CodeConflict:
		return ResultConflict
	case mangahub.CodeRateLimited:
		return ResultRateLimited
	case mangahub.CodeValidation, mangahub.CodeMangaNotFound:
		return ResultRejected
	default:
		return ResultError
	}
}
