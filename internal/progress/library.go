package progress

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// A library page on embedded SQLite cost three times the CPU of the same
// page served from a map, most of it in the one statement that sorts and
// counts the user's records. Libraries are small and read far more often
// than they change, and in a single-instance deployment every change goes
// through this Service. So the service may keep each user's library in
// memory (Config.LibraryCacheTTL) and page it there.
//
// Freshness: every write through the service (apply), whether it succeeds
// or fails, drops the writer's library before the write returns, so this
// instance never lists a library older than its own last write; a fill
// that read the store before a write cannot install what it read after it
// (a generation per shard). Writes that do not go through this Service
// (another process on the same SQLite file, other instances of a cluster)
// are seen once the entry expires: the TTL bounds how stale a list can be.
// That is why the server turns the cache on only without Redis: with Redis
// other instances write libraries this one would not hear of.
//
// Cached values are shared and never modified: List hands out the same
// *Progress values, and slices of the same backing arrays, to every caller,
// which must treat them as read-only (transports only encode them).

// maxCachedLibrary is the largest library kept; a larger one is listed by
// the store, which pages it without reading it all.
const maxCachedLibrary = 1_000

// maxCachedLibraries and maxCachedRecords bound the cache: at most this
// many users, and this many records in all (a record is about 150 bytes,
// so some 40 MB). Beyond either, arbitrary entries of the shard make room.
const (
	maxCachedLibraries = 10_000
	maxCachedRecords   = 250_000
)

// libraryShards spreads the libraries over locks, as hints do: every
// write takes its user's shard lock, and readers share it.
const libraryShards = 64

// library is the per-process cache of users' libraries. A nil *library
// caches nothing.
type library struct {
	store mangahub.ProgressStore
	ttl   time.Duration
	now   func() time.Time
	limit int // maxCachedLibrary; tests lower it
	seed  maphash.Seed

	shards [libraryShards]libraryShard
}

type libraryShard struct {
	mu      sync.RWMutex
	gen     uint64 // bumped by every write, so a fill that read before it is not installed after it
	records int    // in all of m's entries
	m       map[string]*libraryEntry
	_       [16]byte // 64 bytes: a shard per cache line
}

// libraryEntry is one user's live records in the stores' order (updated_at
// descending, then manga_id), and the same split by status. An entry
// marked tooLarge holds no records: it remembers, until it expires, that
// this library is listed by the store, so that a large library is not read
// twice per request.
type libraryEntry struct {
	all      []*mangahub.Progress
	byStatus map[mangahub.ReadingStatus][]*mangahub.Progress
	tooLarge bool
	expires  time.Time
}

// noRecords is an empty page: like the stores' pages, never nil.
var noRecords = []*mangahub.Progress{}

func newLibrary(store mangahub.ProgressStore, ttl time.Duration, now func() time.Time) *library {
	if ttl <= 0 {
		return nil
	}
	l := &library{store: store, ttl: ttl, now: now, limit: maxCachedLibrary, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].m = make(map[string]*libraryEntry)
	}
	return l
}

func (l *library) shard(userID string) *libraryShard {
	return &l.shards[maphash.String(l.seed, userID)%libraryShards]
}

// list answers f (a live-records filter with a positive Limit) from the
// cache, filling it on a miss.
func (l *library) list(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	sh := l.shard(f.UserID)
	e := sh.get(f.UserID, l.now())
	if e == nil {
		var err error
		if e, err = l.fill(ctx, sh, f.UserID); err != nil {
			return nil, 0, err
		}
	}
	if e.tooLarge {
		return l.store.FindProgresses(ctx, f)
	}
	page, total := e.page(f)
	return page, total, nil
}

// fill reads userID's library and installs it unless a write came in
// since the read began. It returns the entry either way: what it read is
// as fresh as the store's answer to this request would have been.
func (l *library) fill(ctx context.Context, sh *libraryShard, userID string) (*libraryEntry, error) {
	gen := sh.generation()
	start := l.now() // the entry reflects the store at start or later
	// One more than the bound tells a library too large to keep without
	// reading all of it.
	all, total, err := l.store.FindProgresses(ctx, mangahub.ProgressFilter{UserID: userID, Limit: l.limit + 1})
	if err != nil {
		return nil, err
	}
	e := &libraryEntry{expires: start.Add(l.ttl)}
	if total > l.limit || len(all) > l.limit {
		e.tooLarge = true
	} else {
		e.all = all
		e.byStatus = make(map[mangahub.ReadingStatus][]*mangahub.Progress)
		for _, p := range all {
			e.byStatus[p.Status] = append(e.byStatus[p.Status], p)
		}
	}
	sh.install(userID, e, gen)
	return e, nil
}

// page is what the store answers to f: the page of records of f.Status
// (any when empty) at f.Offset, and how many there are in all. The page
// is capped at its length, so that a caller's append cannot write into
// the cached array.
func (e *libraryEntry) page(f mangahub.ProgressFilter) ([]*mangahub.Progress, int) {
	recs := e.all
	if f.Status != "" {
		recs = e.byStatus[f.Status]
	}
	if len(recs) == 0 {
		return noRecords, 0
	}
	lo := min(f.Offset, len(recs))
	hi := lo + min(f.Limit, len(recs)-lo)
	return recs[lo:hi:hi], len(recs)
}

// invalidate drops userID's library: a write through the service has
// changed it, or may have.
func (l *library) invalidate(userID string) {
	if l == nil {
		return
	}
	sh := l.shard(userID)
	sh.mu.Lock()
	sh.gen++
	sh.drop(userID)
	sh.mu.Unlock()
}

func (sh *libraryShard) generation() uint64 {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.gen
}

// get returns userID's entry unless there is none or it has expired.
func (sh *libraryShard) get(userID string, now time.Time) *libraryEntry {
	sh.mu.RLock()
	e := sh.m[userID]
	sh.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		return nil
	}
	return e
}

func (sh *libraryShard) install(userID string, e *libraryEntry, gen uint64) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if gen != sh.gen {
		return
	}
	sh.drop(userID)
	for len(sh.m) > 0 && (len(sh.m) >= maxCachedLibraries/libraryShards || sh.records+len(e.all) > maxCachedRecords/libraryShards) {
		for u := range sh.m { // any one: map order is unspecified
			sh.drop(u)
			break
		}
	}
	sh.m[userID] = e
	sh.records += len(e.all)
}

// drop removes userID's entry; the caller holds the write lock.
func (sh *libraryShard) drop(userID string) {
	if e, ok := sh.m[userID]; ok {
		sh.records -= len(e.all)
		delete(sh.m, userID)
	}
}
