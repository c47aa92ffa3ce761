package progress

import (
	"hash/maphash"
	"sync"

	"github.com/mangahub/mangahub"
)

// Every update reads the stored record before it applies the rules, and on
// embedded SQLite that read (a read transaction of its own) was a fifth of
// an update's CPU. Yet the record is usually the one this instance wrote
// last. So the service keeps, for each (user, manga), the record its last
// successful compare-and-set stored: a hint, used in place of the read.
//
// A hint may be stale (another instance or process wrote since), and it is
// safe only because of how it is used:
//   - an update computed from a hint is stored by the same compare-and-set
//     as any other, against the hint's version and tombstone flag; a stale
//     hint fails it, and the update is applied again from a fresh read;
//   - an update the rules refuse or ignore (conflict, backwards,
//     unchanged, ...) is never answered from a hint: the record is read and
//     the rules run again, so what a client is told is the stored truth;
//   - a hint is only used with a store whose every write is such a
//     compare-and-set (CompareAndSetOnly), so that a version and tombstone
//     flag name one content: on such a store, a hint that passes the
//     compare-and-set is the stored record.
//
// Reads (Get, List) never use hints.

// CompareAndSetOnly is implemented by a store whose records change only by
// ApplyProgress's compare-and-set on (version, deleted), so that those two
// name one content. A store that also takes records otherwise (a
// write-behind flush, newer-wins) does not implement it, and gets no hints.
type CompareAndSetOnly interface {
	CompareAndSetOnly() bool
}

// maxHints bounds the hints; beyond it a shard starts over (the next
// update of each of its records reads it again).
const maxHints = 100_000

// hintShards spreads the hints over locks. The writers of one group commit
// are answered together and all store their hint at once; behind one lock
// they formed a convoy (a block profile at 10,000 updates/s showed
// goroutines waiting 50 s in all, over 8 s, on that lock alone).
const hintShards = 64

type hintKey struct {
	user  string
	manga int64
}

// hints are the records last stored by this service. A nil *hints has
// none and keeps none.
type hints struct {
	seed   maphash.Seed
	shards [hintShards]hintShard
}

type hintShard struct {
	mu sync.Mutex
	m  map[hintKey]mangahub.Progress
	_  [48]byte // a shard per cache line: their locks are written by every update
}

func newHints(store mangahub.ProgressStore) *hints {
	if c, ok := store.(CompareAndSetOnly); !ok || !c.CompareAndSetOnly() {
		return nil
	}
	h := &hints{seed: maphash.MakeSeed()}
	for i := range h.shards {
		h.shards[i].m = make(map[hintKey]mangahub.Progress)
	}
	return h
}

func (h *hints) shard(k hintKey) *hintShard {
	return &h.shards[(maphash.String(h.seed, k.user)^uint64(k.manga))%hintShards]
}

// get returns a copy of the hint, nil when there is none.
func (h *hints) get(user string, manga int64) *mangahub.Progress {
	if h == nil {
		return nil
	}
	k := hintKey{user, manga}
	sh := h.shard(k)
	sh.mu.Lock()
	p, ok := sh.m[k]
	sh.mu.Unlock()
	if !ok {
		return nil
	}
	return &p
}

// put remembers p, the record a compare-and-set just stored, unless a
// later state is known already (two writers of one record can return in
// either order).
func (h *hints) put(p *mangahub.Progress) {
	if h == nil {
		return
	}
	k := hintKey{p.UserID, p.MangaID}
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[k]; ok && old.Newer(p) {
		return
	}
	if len(sh.m) >= maxHints/hintShards {
		sh.m = make(map[hintKey]mangahub.Progress)
	}
	sh.m[k] = *p
}

func (h *hints) forget(user string, manga int64) {
	if h == nil {
		return
	}
	k := hintKey{user, manga}
	sh := h.shard(k)
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}
