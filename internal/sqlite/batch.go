package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/mangahub/mangahub"
)

// maxBatch bounds one group commit, so that a burst cannot make one
// transaction (and the wait of its writers) arbitrarily long.
const maxBatch = 256

// putBatcher commits concurrent progress writes together. The first writer
// to arrive while no commit runs becomes the leader: it takes every write
// queued so far (its own first), runs them in one transaction and hands
// each its own result. If more writes queued meanwhile, it passes the lead
// to the oldest of them and returns with its own result: a leader commits
// one batch, never the backlog that built up behind it. (Before, a leader
// went on committing until the queue ran dry, so under steady load one
// writer's ack waited for many commits: the long tail of the ack latency.)
// At low load a batch is one write and nothing waits; under load the
// writers that queued during one commit share the next.
type putBatcher struct {
	db *sql.DB

	// The leader's statements, prepared on first use (the table may not
	// exist before migrations run). Only the leader touches them, and
	// there is one leader at a time, so they need no lock of their own.
	insert, update *sql.Stmt

	// beforeCommit, when set (tests only), runs before each batch commits.
	beforeCommit func()

	mu      sync.Mutex
	queue   []*putRequest
	leading bool
}

type putRequest struct {
	ctx  context.Context
	ch   mangahub.ProgressChange
	done chan putResult
}

// putResult is a write's outcome, or (lead) the lead passed on to it.
type putResult struct {
	err  error
	lead bool
}

// putRequests are pooled: a request (and its channel) per write would be
// most of the store's allocations.
var putRequests = sync.Pool{New: func() any { return &putRequest{done: make(chan putResult, 1)} }}

func newPutBatcher(db *sql.DB) *putBatcher { return &putBatcher{db: db} }

func (b *putBatcher) put(ctx context.Context, ch mangahub.ProgressChange) error {
	req := putRequests.Get().(*putRequest)
	req.ctx, req.ch = ctx, ch
	b.mu.Lock()
	b.queue = append(b.queue, req)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		b.commitNext()
	}
	// A caller whose context ends while queued still waits: its write may
	// be in a commit under way, and it must not report failure for a
	// change that was stored.
	for {
		r := <-req.done
		if r.lead {
			b.commitNext() // this request is at the head of the batch
			continue
		}
		req.ctx, req.ch = nil, mangahub.ProgressChange{}
		putRequests.Put(req)
		return r.err
	}
}

// commitNext commits the next batch (the leader's own write is its first),
// passes the lead on if more writes are queued, then answers the batch.
func (b *putBatcher) commitNext() {
	b.mu.Lock()
	n := min(len(b.queue), maxBatch)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	if len(b.queue) == 0 {
		b.queue = nil // the array goes with the batch
	}
	b.mu.Unlock()

	if b.beforeCommit != nil {
		b.beforeCommit()
	}
	err := b.commit(batch)

	b.mu.Lock()
	var next *putRequest
	if len(b.queue) > 0 {
		next = b.queue[0]
	} else {
		b.leading = false
	}
	b.mu.Unlock()
	if next != nil {
		// Before the answers: the next commit starts while they go out.
		next.done <- putResult{lead: true}
	}
	for i, r := range batch {
		e := err[i]
		batch[i] = nil
		r.done <- putResult{err: e}
	}
}

// commit runs batch in one transaction and returns one result per write.
func (b *putBatcher) commit(batch []*putRequest) []error {
	// The transaction serves every caller of the batch, so no one caller's
	// context may cancel it; and a context that cannot be cancelled spares
	// the driver an interrupt-watching goroutine per statement. A batch is
	// bounded by maxBatch primary-key writes.
	ctx := context.Background()
	results := make([]error, len(batch))
	err := b.prepare(ctx)
	if err == nil {
		err = inTx(ctx, b.db, func(tx *sql.Tx) error {
			insert, update := tx.StmtContext(ctx, b.insert), tx.StmtContext(ctx, b.update)
			for i, r := range batch {
				if err := r.ctx.Err(); err != nil {
					results[i] = mangahub.Unavailable(err) // gave up before its turn
					continue
				}
				results[i] = applyProgressTx(ctx, tx, insert, update, r.ch)
			}
			return nil
		})
	}
	for i := range results {
		if err != nil {
			results[i] = translate(ctx, err) // nothing of the batch is stored
		} else {
			results[i] = translate(ctx, results[i])
		}
	}
	return results
}

// prepare prepares the leader's statements once.
func (b *putBatcher) prepare(ctx context.Context) error {
	if b.insert != nil {
		return nil
	}
	insert, err := b.db.PrepareContext(ctx, insertProgressSQL)
	if err != nil {
		return err
	}
	update, err := b.db.PrepareContext(ctx, updateProgressSQL)
	if err != nil {
		insert.Close()
		return err
	}
	b.insert, b.update = insert, update
	return nil
}

// close releases the statements; the pool closes after it.
// queued counts the writes waiting for a batch.
func (b *putBatcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

func (b *putBatcher) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.insert != nil {
		b.insert.Close()
		b.update.Close()
	}
}
