// Package catalog holds the manga and genre use cases: search with
// normalised arguments, validated create/update/delete, catalog import from
// JSON, and the embedded sample catalog that seeds an empty database.
package catalog

import (
	"context"
	"time"

	"github.com/mangahub/mangahub"
)

// Service implements the catalog use cases over a mangahub.MangaStore.
type Service struct {
	store        mangahub.MangaStore
	beforeDelete func(ctx context.Context, mangaID int64) error
	cacheTTL     time.Duration
	now          func() time.Time
	cache        *readCache // nil: every read asks the store
}

// Option configures a Service.
type Option func(*Service)

// BeforeDelete has fn run before a manga is deleted; an error stops the
// delete. The server uses it to delete the manga's reading progress through
// the progress rules, so that every reader's devices are told.
func BeforeDelete(fn func(ctx context.Context, mangaID int64) error) Option {
	return func(s *Service) { s.beforeDelete = fn }
}

// CacheFor keeps manga read by ID and the genre list in memory for ttl
// (see readCache): writes through this Service are seen at once, writes
// made elsewhere (another instance of a cluster) within ttl. Zero, the
// default, caches nothing.
func CacheFor(ttl time.Duration) Option {
	return func(s *Service) { s.cacheTTL = ttl }
}

// WithClock sets the clock the cache expires entries by (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// New returns a Service over store.
func New(store mangahub.MangaStore, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.cacheTTL > 0 {
		s.cache = newReadCache(s.cacheTTL, s.now)
	}
	return s
}

// CacheTTL is how long a catalog read may be served from memory, zero when
// it never is: how stale a catalog answer of this Service can be.
func (s *Service) CacheTTL() time.Duration { return s.cacheTTL }

// written empties the read cache after a catalog write (whether or not it
// succeeded: a failed write may still have changed something).
func (s *Service) written() {
	if s.cache != nil {
		s.cache.invalidate()
	}
}

// storeError keeps the store's own *mangahub.Error (its code and safe
// message) and hides anything else behind "internal error".
func storeError(err error) error {
	return mangahub.AsError(err)
}

var errMangaNotFound = mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
