package mangahub

import (
	"context"
	"time"
)

// ProgressCache is the hot store in front of the durable one: every user's
// whole library (records and tombstones), so that a library can be listed
// from it while changes still wait for the flusher. A user's library is
// either loaded, complete, or not there at all.
type ProgressCache interface {
	// CachedProgress returns the user's record or tombstone for mangaID (nil
	// when there is neither) and whether the user's library is loaded; when
	// it is not, the durable store is the one to ask.
	CachedProgress(ctx context.Context, userID string, mangaID int64) (p *Progress, loaded bool, err error)
	// CachedLibrary returns every record and tombstone of a loaded library.
	CachedLibrary(ctx context.Context, userID string) (ps []*Progress, loaded bool, err error)
	// FillLibrary loads a user's library, as read from the durable store,
	// keeping any newer state the cache already holds and any queued record
	// (the flush settles those with the durable store).
	FillLibrary(ctx context.Context, userID string, ps []*Progress) error
	// ApplyQueued is the write-behind compare-and-set (the rule of
	// ProgressStore.ApplyProgress): in one atomic step it stores the
	// change, queues it for the flusher and publishes its event. It returns
	// ErrNotLoaded when the user's library must be filled first.
	ApplyQueued(ctx context.Context, ch ProgressChange) error
	// ApplyMerged keeps the cache in step with a change the durable store
	// committed (write-through): it stores it unless the cache holds a newer
	// state, and publishes its event, in one step.
	ApplyMerged(ctx context.Context, ch ProgressChange) error
	// Forget drops a user's library unless it holds queued records, so
	// that the next read loads it again from the durable store (after that
	// store was written around the cache).
	Forget(ctx context.Context, userID string) error
	// QueuedReaders returns the users with a queued record of mangaID
	// (states the durable store may not have yet), each with whether that
	// record is live (false: a queued delete).
	QueuedReaders(ctx context.Context, mangaID int64) (map[string]bool, error)
	// DropManga removes every cached and queued record of mangaID, of the
	// given users and of any user with a queued one: the manga is gone
	// from the durable store with its records.
	DropManga(ctx context.Context, mangaID int64, userIDs []string) error
}

// ErrNotLoaded is returned by ProgressCache.ApplyQueued for a user whose
// library is not in the cache.
var ErrNotLoaded = Errorf(CodeUnavailable, "library not loaded in the cache")

// ProgressQueue is the durable write-behind queue: changes acknowledged to
// clients and not yet in the durable store. It is split into shards that
// flushers claim one at a time, so that several instances flush at once
// without doing the same work.
type ProgressQueue interface {
	// Shards is the number of shards, numbered from 0.
	Shards() int
	// Claim takes the shard for this flusher for a while and returns up to
	// n of its pending records, the oldest first; held is false (and the
	// batch empty) when another flusher holds the shard.
	Claim(ctx context.Context, shard, n int) (b QueueBatch, held bool, err error)
	// Ack ends a claim after its batch was written: it removes each entry
	// whose record has not changed since the claim (a record changed
	// meanwhile stays queued, its history now based on what was written),
	// moves the rejected ones to the dead-letter list (rejected tombstones
	// are simply dropped: the record they delete went with its manga or
	// user), leaves the diverged ones queued, and releases the shard.
	Ack(ctx context.Context, b QueueBatch, res BatchResult) error
	// Reconcile replaces a diverged queued record, if the queue still
	// holds exactly it, by next (queued, with next's Base), publishing
	// next's event, in one atomic step; it reports whether it did.
	Reconcile(ctx context.Context, old, next QueuedProgress, origin Origin) (bool, error)
	// Release gives up a claim without removing anything (the write failed).
	Release(ctx context.Context, b QueueBatch) error
	// Pending counts the queued entries and tells when the oldest was
	// queued (zero when none).
	Pending(ctx context.Context) (n int, oldest time.Time, err error)
}

// QueueBatch is one claimed part of a queue shard.
type QueueBatch struct {
	Shard   int
	Records []QueuedProgress
	// Claim identifies the claim, for Ack and Release.
	Claim string
}
