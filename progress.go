package mangahub

import (
	"context"
	"time"
)

// ReadingStatus is where a user stands with a manga.
type ReadingStatus string

// Reading statuses.
const (
	StatusReading    ReadingStatus = "reading"
	StatusCompleted  ReadingStatus = "completed"
	StatusPlanToRead ReadingStatus = "plan_to_read"
	StatusOnHold     ReadingStatus = "on_hold"
	StatusDropped    ReadingStatus = "dropped"
	StatusReReading  ReadingStatus = "re_reading"
)

// Valid reports whether s is a known reading status.
func (s ReadingStatus) Valid() bool {
	switch s {
	case StatusReading, StatusCompleted, StatusPlanToRead, StatusOnHold, StatusDropped, StatusReReading:
		return true
	}
	return false
}

// Progress is one user's reading state for one manga. Version starts at 1 and
// grows by one with every applied change; it never repeats for one (user,
// manga), not even across a delete.
type Progress struct {
	UserID     string        `json:"user_id"`
	MangaID    int64         `json:"manga_id"`
	Chapter    int           `json:"chapter"`
	Status     ReadingStatus `json:"status"`
	LastReadAt time.Time     `json:"last_read_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Version    int64         `json:"version"`
	// Deleted marks a tombstone: the record was deleted at Version (the
	// other fields are as they were then). Stores keep tombstones so that a
	// record created again continues from Version+1, and so that a batch
	// flush can tell a late write from a fresh one. Clients never see them.
	Deleted bool `json:"-"`
}

// Newer reports whether p is a later state of its record than q: a higher
// version, or the delete of the same version. It is the order of every
// newer-wins merge (batch flushes, caches).
func (p *Progress) Newer(q *Progress) bool {
	if p.Version != q.Version {
		return p.Version > q.Version
	}
	return p.Deleted && !q.Deleted
}

// ProgressUpdate is a requested change, as any transport received it. The
// user comes from the caller's Identity, never from here.
type ProgressUpdate struct {
	MangaID         int64
	Chapter         int
	Status          *ReadingStatus
	LastReadAt      *time.Time
	Force           bool
	ExpectedVersion *int64
}

// Reason says why a progress update that passed every check was not
// applied (CONTRACT.md §2, the "reason" of an answer with applied false).
type Reason string

// Reasons.
const (
	// ReasonUnchanged: the update would change nothing stored.
	ReasonUnchanged Reason = "unchanged"
	// ReasonBackwards: the chapter is below the stored one and the update
	// does not force it.
	ReasonBackwards Reason = "backwards"
)

// ProgressResult is the answer to a progress update that passed every
// check: the stored record (the new one when applied, the unchanged one
// otherwise), whether the update changed it, and, when it did not, why.
type ProgressResult struct {
	Progress *Progress
	Applied  bool
	// Reason is empty when Applied.
	Reason Reason
}

// ProgressFilter selects one user's progress records.
type ProgressFilter struct {
	UserID string
	Status ReadingStatus // empty: any
	Limit  int
	Offset int
	// IncludeDeleted lists tombstones too (a cache loading a library needs
	// them, so that versions continue after a delete).
	IncludeDeleted bool
}

// ProgressChange is one change of a record, as a store applies it: a put of
// Progress (created or updated at Progress.Version) or, when
// Progress.Deleted, the delete of the record at Progress.Version.
type ProgressChange struct {
	Progress *Progress
	// BaseDeleted tells, for a put at a version above 1, that the state at
	// Version-1 it was computed from is a tombstone (a re-create).
	BaseDeleted bool
	// Origin is who made the change, for the event that tells the other
	// devices.
	Origin Origin
	// Direct marks a change written to the durable store around an
	// unreachable hot store that may still hold queued changes of the same
	// record. The write-behind flush reconciles the two histories instead
	// of letting the higher version silently win (see QueuedProgress).
	Direct bool
}

// Event returns the bus event announcing ch.
func (ch ProgressChange) Event() Event {
	ev := Event{Type: EventProgressUpdated, UserID: ch.Progress.UserID, MangaID: ch.Progress.MangaID, Progress: ch.Progress, Origin: ch.Origin}
	if ch.Progress.Deleted {
		ev.Type = EventProgressDeleted
	}
	return ev
}

// ProgressStore persists progress. Stores know no rules beyond an atomic
// compare-and-set by version: the rules live in package progress, so they are
// the same over SQL, Redis and memory.
type ProgressStore interface {
	// FindProgress returns the record, or its tombstone (Deleted) when it
	// was deleted; CodeNotFound when there never was one.
	FindProgress(ctx context.Context, userID string, mangaID int64) (*Progress, error)
	// FindProgresses lists a user's live records, most recently updated
	// first (ties broken by manga_id).
	FindProgresses(ctx context.Context, f ProgressFilter) ([]*Progress, int, error)
	// FindReaders returns the users with a live record of mangaID, in no
	// particular order (deleting a manga tells each of them).
	FindReaders(ctx context.Context, mangaID int64) ([]string, error)
	// ApplyProgress stores ch only if the stored state is the one ch was
	// computed from: nothing at all for a put at version 1; the record (or,
	// with BaseDeleted, the tombstone) at Version-1 for a put; the live
	// record at Version for a delete. Otherwise it returns
	// ErrVersionMismatch and changes nothing. A manga that does not exist is
	// CodeMangaNotFound. An engine that publishes the change on the bus in
	// the same atomic step reports published; otherwise the caller
	// publishes.
	ApplyProgress(ctx context.Context, ch ProgressChange) (published bool, err error)
}

// ProgressBatchWriter is the durable side of write-behind: it takes batches
// of queued records (tombstones included) in any order and any number of
// times.
type ProgressBatchWriter interface {
	// PutProgressBatch stores each record that is newer (Progress.Newer)
	// than the stored state of its (user, manga), in one statement where
	// the engine allows, and leaves the others. A record whose user or
	// manga no longer exists is not stored and comes back in Rejected; a
	// record whose stored state was written directly (ProgressChange.Direct)
	// after the queued history began (a version above its Base) is not
	// stored and comes back in Diverged with that state. Neither fails the
	// rest of the batch.
	PutProgressBatch(ctx context.Context, qs []QueuedProgress) (BatchResult, error)
}

// QueuedProgress is a record waiting in the write-behind queue.
type QueuedProgress struct {
	*Progress
	// Base is the version of the record that the durable store held when
	// this record's queued history began (0: none). A record stored
	// directly at a higher version since then is another history, which the
	// flush must reconcile rather than overwrite or skip.
	Base int64
	// Queued is when the record was first queued since its last flush
	// (zero when unknown): the flush reports its lag from it.
	Queued time.Time
}

// BatchResult tells which records of a batch were not stored, and why.
type BatchResult struct {
	Rejected []QueuedProgress
	Diverged []Divergence
}

// Divergence is a queued record and the directly written state it did not
// overwrite.
type Divergence struct {
	Queued QueuedProgress
	Stored *Progress
}

// ErrVersionMismatch is returned by ProgressStore.ApplyProgress when another
// writer got there first; the caller re-reads and tries again.
var ErrVersionMismatch = &Error{Code: CodeConflict, Message: "progress was changed concurrently"}
