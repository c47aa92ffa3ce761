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
	bus          mangahub.Bus
	// background is the context of the service's own work (building the
	// search index), ended by Close.
	background context.Context
	stop       context.CancelFunc
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

// Announce has every catalog write announced on bus, and Listen empty the
// cache when another instance announces one: in a cluster, writes made
// elsewhere are then seen as soon as the announcement arrives (about a
// millisecond), and within the cache's TTL if it is lost.
func Announce(bus mangahub.Bus) Option {
	return func(s *Service) { s.bus = bus }
}

// WithClock sets the clock the cache expires entries by (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// New returns a Service over store.
func New(store mangahub.MangaStore, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	s.background, s.stop = context.WithCancel(context.Background())
	for _, o := range opts {
		o(s)
	}
	if s.cacheTTL > 0 {
		s.cache = newReadCache(s.cacheTTL, s.now)
	}
	return s
}

// Close stops the service's background work (a search index build) and
// waits for it, so that the stores can be closed; reads and writes still
// work, asking the store.
func (s *Service) Close() {
	s.stop()
	s.WaitIndexing()
}

// CacheTTL is how long a catalog read may be served from memory, zero when
// it never is: how stale a catalog answer of this Service can be.
func (s *Service) CacheTTL() time.Duration { return s.cacheTTL }

// written empties the read cache after a catalog write (whether or not it
// succeeded: a failed write may still have changed something), and tells
// the other instances to empty theirs.
func (s *Service) written(ctx context.Context) {
	if s.cache != nil {
		s.cache.invalidate()
	}
	if s.bus != nil {
		// A failed publish is logged by the bus; the TTL then bounds how
		// long other instances serve the old catalog.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = s.bus.Publish(ctx, mangahub.Event{Type: mangahub.EventCatalogChanged, UserID: mangahub.CatalogChannel})
		cancel()
	}
}

// Listen empties the read cache whenever any instance announces a catalog
// write, until stop is called. An error means the announcements cannot be
// received yet (Redis down); the bus keeps trying, and stop must still be
// called.
func (s *Service) Listen(ctx context.Context) (stop func(), err error) {
	if s.cache == nil || s.bus == nil {
		return func() {}, nil
	}
	unsubscribe := s.bus.Subscribe(func(ev mangahub.Event) {
		if ev.Type == mangahub.EventCatalogChanged {
			s.cache.invalidate()
		}
	})
	unwatch, err := s.bus.Watch(ctx, mangahub.CatalogChannel)
	return func() {
		if unwatch != nil {
			unwatch()
		}
		unsubscribe()
	}, err
}

// storeError keeps the store's own *mangahub.Error (its code and safe
// message) and hides anything else behind "internal error".
func storeError(err error) error {
	return mangahub.AsError(err)
}

var errMangaNotFound = mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
