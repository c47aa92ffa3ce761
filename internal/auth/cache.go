package auth

import (
	"strings"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// Authentication runs on every HTTP request and every sync handshake, so
// its two costs, verifying a token and asking the store whether its user
// still exists, are both remembered:
//
//   - a verified token is kept until it expires: the same bytes under the
//     same key always verify the same way, so only the expiry is checked
//     again on the next use;
//   - a user's existence and role are kept for Config.UserCacheTTL. That is
//     the staleness bound of deleting or demoting a user (which only an
//     operator can, in the database): the old rights last at most that
//     long.
//
// Both caches are bounded; refresh tokens are never cached, so logout,
// rotation and reuse detection act at once.

// Defaults of the caches' Config fields.
const (
	DefaultUserCacheTTL = 5 * time.Second
	// defaultCacheEntries bounds each cache: a token entry is its string
	// (a few hundred bytes) and a few words, so about 4 MB when full.
	defaultCacheEntries = 10_000
)

// verifiedToken is what a verified token says, all that Authenticate needs
// on a later use.
type verifiedToken struct {
	userID string
	exp    time.Time
}

// cachedUser is a user as the store last answered: its identity, or that
// there is no such user.
type cachedUser struct {
	id      mangahub.Identity
	missing bool
	until   time.Time
}

// boundedCache is a map with a size limit. When full, a put first drops
// what has expired, and if that frees too little, an arbitrary eighth of
// the entries (Go's map iteration order is unspecified, so it is not
// always the same ones): one O(n) sweep per n/8 insertions at worst, and
// hits, by far the common case, only take a read lock.
type boundedCache[V any] struct {
	max     int
	expired func(V, time.Time) bool

	mu sync.RWMutex
	m  map[string]V
}

func newBoundedCache[V any](max int, expired func(V, time.Time) bool) *boundedCache[V] {
	return &boundedCache[V]{max: max, expired: expired, m: make(map[string]V)}
}

func (c *boundedCache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *boundedCache[V]) put(k string, v V, now time.Time) {
	if c.max <= 0 {
		return
	}
	// A clone: k may be a slice of a larger request buffer that the cache
	// must not keep alive.
	k = strings.Clone(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[k] = v
}

func (c *boundedCache[V]) evictLocked(now time.Time) {
	for k, v := range c.m {
		if c.expired(v, now) {
			delete(c.m, k)
		}
	}
	drop := len(c.m) - c.max + max(1, c.max/8)
	for k := range c.m {
		if drop <= 0 {
			break
		}
		delete(c.m, k)
		drop--
	}
}

func (c *boundedCache[V]) remove(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *boundedCache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
