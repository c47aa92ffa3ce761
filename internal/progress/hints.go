package progress

import (
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

// maxHints bounds the hints; beyond it they start over (the next update of
// each record reads it again).
const maxHints = 100_000

type hintKey struct {
	user  string
	manga int64
}

// hints are the records last stored by this service. A nil *hints has
// none and keeps none.
type hints struct {
	mu sync.Mutex
	m  map[hintKey]mangahub.Progress
}

func newHints(store mangahub.ProgressStore) *hints {
	if c, ok := store.(CompareAndSetOnly); !ok || !c.CompareAndSetOnly() {
		return nil
	}
	return &hints{m: make(map[hintKey]mangahub.Progress)}
}

// get returns a copy of the hint, nil when there is none.
func (h *hints) get(user string, manga int64) *mangahub.Progress {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	p, ok := h.m[hintKey{user, manga}]
	h.mu.Unlock()
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
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.m[k]; ok && old.Newer(p) {
		return
	}
	if len(h.m) >= maxHints {
		h.m = make(map[hintKey]mangahub.Progress)
	}
	h.m[k] = *p
}

func (h *hints) forget(user string, manga int64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	delete(h.m, hintKey{user, manga})
	h.mu.Unlock()
}
