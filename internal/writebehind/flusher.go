package writebehind

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// Flusher defaults.
const (
	DefaultInterval = time.Second
	DefaultBatch    = 1000
	// writeTimeout bounds one batch write; it must stay below the queue's
	// lease, so that a batch is never written by two flushers at once
	// because the first one was slow.
	writeTimeout = 10 * time.Second
	maxBackoff   = 10 * time.Second
)

// FlusherConfig tunes a Flusher; zero fields take defaults.
type FlusherConfig struct {
	// Interval is how long a change may wait before it is flushed.
	Interval time.Duration
	// Batch is the most records written in one statement; as many pending
	// records start a flush before Interval is up.
	Batch int
	// Poll is how often the queue's length is checked (default: a quarter
	// of Interval, at most 250ms).
	Poll time.Duration
	// Flushed is told of every batch written: rows and how long it took.
	Flushed func(rows int, took time.Duration)
	// Failed is told of every failed batch write.
	Failed func(err error)
	// Parked is told of every record the database refused (its manga or
	// user is gone), moved to the dead-letter list.
	Parked func(p *mangahub.Progress)
	// Pending is told the queue's length after each check.
	Pending func(n int)
	// Lag is told, for every record written, how long it waited in the
	// queue.
	Lag    func(d time.Duration)
	Logger *slog.Logger
}

// Status is what /readyz shows of the write-behind queue.
type Status struct {
	Pending int
	// Oldest is when the oldest pending change was queued (zero: none).
	Oldest    time.Time
	LastFlush time.Time
	// Err is the last failure to check or flush the queue, nil once a
	// later attempt worked.
	Err error
}

// Flusher drains the write-behind queue into the database: every Interval,
// or as soon as Batch changes are pending. Each batch is written in one
// statement, newer state wins, and only what was written leaves the queue,
// so a flusher that dies mid-batch, or two that run at once on several
// instances, lose and regress nothing.
type Flusher struct {
	queue mangahub.ProgressQueue
	db    mangahub.ProgressBatchWriter
	cfg   FlusherConfig

	mu     sync.Mutex
	status Status
}

// NewFlusher returns a flusher of queue into db.
func NewFlusher(queue mangahub.ProgressQueue, db mangahub.ProgressBatchWriter, cfg FlusherConfig) *Flusher {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Poll <= 0 {
		cfg.Poll = min(cfg.Interval/4, 250*time.Millisecond)
	}
	if cfg.Flushed == nil {
		cfg.Flushed = func(int, time.Duration) {}
	}
	if cfg.Failed == nil {
		cfg.Failed = func(error) {}
	}
	if cfg.Parked == nil {
		cfg.Parked = func(*mangahub.Progress) {}
	}
	if cfg.Pending == nil {
		cfg.Pending = func(int) {}
	}
	if cfg.Lag == nil {
		cfg.Lag = func(time.Duration) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Flusher{queue: queue, db: db, cfg: cfg}
}

// Status returns the last known state of the queue.
func (f *Flusher) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Run flushes until ctx ends. It does not flush what is left then: call
// Drain for that.
func (f *Flusher) Run(ctx context.Context) {
	last := time.Now()
	wait := f.cfg.Poll
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		n, err := f.check(ctx)
		if err == nil && n > 0 && (n >= f.cfg.Batch || time.Since(last) >= f.cfg.Interval) {
			_, err = f.flushAll(ctx)
			if err == nil {
				last = time.Now()
			}
		}
		if err != nil && ctx.Err() == nil {
			// Capped exponential backoff while Redis or the database is
			// down; pending keeps growing meanwhile and is reported.
			backoff = min(max(2*backoff, f.cfg.Poll), maxBackoff)
			wait = backoff
			continue
		}
		backoff, wait = 0, f.cfg.Poll
	}
}

// Drain flushes until nothing is pending or ctx ends; used at shutdown, so
// that a long interval loses nothing.
func (f *Flusher) Drain(ctx context.Context) error {
	backoff := 10 * time.Millisecond
	for {
		n, err := f.check(ctx)
		if err == nil && n == 0 {
			return nil
		}
		if err == nil {
			var wrote int
			wrote, err = f.flushAll(ctx)
			if err == nil && wrote > 0 {
				backoff = 10 * time.Millisecond
				continue
			}
		}
		// Nothing written: another flusher holds a shard, or something is
		// down. Try again shortly.
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// FlushOnce flushes what it can claim of the queue, once over every shard.
func (f *Flusher) FlushOnce(ctx context.Context) error {
	_, err := f.flushAll(ctx)
	return err
}

// check reads the queue's length and age.
func (f *Flusher) check(ctx context.Context) (int, error) {
	n, oldest, err := f.queue.Pending(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.status.Err = err
		return 0, err
	}
	f.status.Pending, f.status.Oldest = n, oldest
	f.cfg.Pending(n)
	return n, nil
}

// flushAll flushes every shard this flusher can claim, starting at a random
// one so that several flushers spread over the shards. It returns how many
// records it wrote.
func (f *Flusher) flushAll(ctx context.Context) (int, error) {
	shards := f.queue.Shards()
	first := rand.IntN(shards)
	total := 0
	for i := range shards {
		n, err := f.flushShard(ctx, (first+i)%shards)
		total += n
		if err != nil {
			f.mu.Lock()
			f.status.Err = err
			f.mu.Unlock()
			return total, err
		}
	}
	f.mu.Lock()
	f.status.LastFlush = time.Now().UTC()
	f.status.Err = nil
	f.mu.Unlock()
	return total, nil
}

// flushShard writes one shard's queue in batches until it is empty or held
// by another flusher.
func (f *Flusher) flushShard(ctx context.Context, shard int) (int, error) {
	total := 0
	for {
		b, held, err := f.queue.Claim(ctx, shard, f.cfg.Batch)
		if err != nil || !held {
			return total, err
		}
		if len(b.Records) == 0 {
			return total, f.queue.Release(ctx, b)
		}
		n, err := f.write(ctx, b)
		total += n
		if err != nil {
			return total, err
		}
		if len(b.Records) < f.cfg.Batch {
			return total, nil
		}
	}
}

// write stores one claimed batch and acknowledges it; on failure the claim
// is released untouched, to be taken again.
func (f *Flusher) write(ctx context.Context, b mangahub.QueueBatch) (int, error) {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	res, err := f.db.PutProgressBatch(wctx, b.Records)
	cancel()
	if err != nil {
		f.cfg.Failed(err)
		f.cfg.Logger.Warn("write-behind flush failed; will retry", "records", len(b.Records), "err", err)
		if rerr := f.queue.Release(context.WithoutCancel(ctx), b); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return 0, err
	}
	took := time.Since(start)
	for _, r := range res.Rejected {
		if !r.Deleted {
			f.cfg.Parked(r.Progress)
			f.cfg.Logger.Warn("write-behind record refused by the database (manga or user gone); parked in the dead-letter list",
				"user_id", r.UserID, "manga_id", r.MangaID, "version", r.Version)
		}
	}
	// The batch is in the database: settle and acknowledge it even if ctx
	// ended, or it would be written again for nothing.
	ctx = context.WithoutCancel(ctx)
	for _, d := range res.Diverged {
		if err := f.reconcile(ctx, d); err != nil {
			return 0, err
		}
	}
	if err := f.queue.Ack(ctx, b, res); err != nil {
		return 0, err
	}
	now := time.Now()
	for _, r := range b.Records {
		if !r.Queued.IsZero() {
			f.cfg.Lag(now.Sub(r.Queued))
		}
	}
	f.cfg.Flushed(len(b.Records)-len(res.Diverged), took)
	return len(b.Records), nil
}

// reconcile settles a queued record that diverged from a state written
// directly to the database while the hot store was unreachable: two
// histories of one record, both acknowledged. The later change (by
// updated_at; the database's on a tie) wins, and becomes a new version
// above both, queued with the database's version as its base, so that the
// next flush writes it and every device hears of it. Neither history is
// overwritten silently, and no version is reused from here on.
func (f *Flusher) reconcile(ctx context.Context, d mangahub.Divergence) error {
	q, stored := d.Queued, d.Stored
	winner := stored
	if q.UpdatedAt.After(stored.UpdatedAt) {
		winner = q.Progress
	}
	next := *winner
	next.Version = max(q.Version, stored.Version) + 1
	replaced, err := f.queue.Reconcile(ctx, q, mangahub.QueuedProgress{Progress: &next, Base: stored.Version},
		mangahub.Origin{Source: mangahub.SourceHTTP})
	if err != nil {
		return err
	}
	if replaced {
		f.cfg.Logger.Warn("write-behind record diverged from a change written while Redis was unreachable; reconciled",
			"user_id", q.UserID, "manga_id", q.MangaID, "queued_version", q.Version, "stored_version", stored.Version,
			"version", next.Version, "kept", map[bool]string{true: "queued", false: "stored"}[winner == q.Progress])
	}
	return nil
}
