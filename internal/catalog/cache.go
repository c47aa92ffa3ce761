package catalog

import (
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// maxCachedManga bounds the manga the read cache holds; beyond it an
// arbitrary entry makes room. A manga is a few hundred bytes to a few
// kilobytes, so the cache stays within tens of megabytes.
const maxCachedManga = 10_000

// readCache keeps the catalog's hottest reads, a manga by ID and the genre
// list, and the search index (index.go), so that most catalog requests cost
// no database read. Cached values
// are shared and never modified: the service hands out the same *Manga to
// every caller, which must treat it as read-only (transports copy before
// they change anything).
//
// Freshness: every write through this Service empties the cache, so this
// instance never serves a value older than its own last write. Writes on
// other instances of a cluster (or other processes on one SQLite file)
// are seen once the entry expires: ttl bounds how stale a read can be.
type readCache struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.RWMutex
	gen    uint64 // bumped by every write, so a read begun before it cannot fill the cache after it
	manga  map[int64]cachedManga
	genres cachedGenres

	// index answers searches (see searchIndex); nil until one is built and
	// after every write. building is true while a search builds the next.
	index    *searchIndex
	building bool
	builds   sync.WaitGroup // the build running, if any
	// unindexed is until when the catalog is known to be too large to
	// index (searches then ask the store).
	unindexed time.Time
}

type cachedManga struct {
	m       *mangahub.Manga
	expires time.Time
}

type cachedGenres struct {
	gs      []*mangahub.Genre
	expires time.Time // zero: nothing cached
}

func newReadCache(ttl time.Duration, now func() time.Time) *readCache {
	return &readCache{ttl: ttl, now: now, manga: make(map[int64]cachedManga)}
}

// generation is what a read takes before it asks the store; fills with it
// are dropped if a write came in between.
func (c *readCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *readCache) findManga(id int64) (*mangahub.Manga, bool) {
	c.mu.RLock()
	e, ok := c.manga[id]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.m, true
}

func (c *readCache) putManga(gen uint64, m *mangahub.Manga) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.manga[m.ID]; !ok && len(c.manga) >= maxCachedManga {
		for id := range c.manga { // any one: map order is unspecified
			delete(c.manga, id)
			break
		}
	}
	c.manga[m.ID] = cachedManga{m: m, expires: c.now().Add(c.ttl)}
}

func (c *readCache) findGenres() ([]*mangahub.Genre, bool) {
	c.mu.RLock()
	e := c.genres
	c.mu.RUnlock()
	if e.expires.IsZero() || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.gs, true
}

func (c *readCache) putGenres(gen uint64, gs []*mangahub.Genre) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.genres = cachedGenres{gs: gs, expires: c.now().Add(c.ttl)}
	}
}

// invalidate forgets everything: catalog writes are rare, and one write can
// change several entries (a manga's genres change the genre counts).
func (c *readCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.manga)
	c.genres = cachedGenres{}
	c.index = nil
}

// searchIndex returns the index if it may still answer (nil otherwise),
// and whether a search should build the next one: past half its TTL one is
// built while the current one still answers, so that under steady load
// searches never fall back to the store.
func (c *readCache) searchIndex() (ix *searchIndex, rebuild bool) {
	now := c.now()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.index != nil && now.Before(c.index.built.Add(c.ttl)) {
		ix = c.index
	}
	rebuild = !c.building && now.After(c.unindexed) &&
		(ix == nil || !now.Before(ix.built.Add(c.ttl/2)))
	return ix, rebuild
}

// latestIndex is the last index built, even past its TTL; nil after a
// write.
func (c *readCache) latestIndex() *searchIndex {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.index
}

// startIndexing claims the next build; false when another search has it.
func (c *readCache) startIndexing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.building {
		return false
	}
	c.building = true
	return true
}

// putIndex ends a build: ix (nil when it failed) is kept unless a write
// came in since gen was taken, before the catalog was read.
func (c *readCache) putIndex(gen uint64, ix *searchIndex) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.building = false
	if ix == nil || gen != c.gen {
		return false
	}
	c.index = ix
	return true
}

// tooLargeToIndex ends a build that found the catalog too large, and has
// searches ask the store for a TTL before it is counted again.
func (c *readCache) tooLargeToIndex() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.building = false
	c.unindexed = c.now().Add(c.ttl)
}
