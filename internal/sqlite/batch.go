package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/mangahub/mangahub"
)

// maxBatch bounds one group commit, so that a burst cannot make one
// transaction (and the wait of its writers) arbitrarily long.
const maxBatch = 256

var errClosed = mangahub.Unavailable(errors.New("sqlite: database is closed"))

// putBatcher commits concurrent progress writes together, on a goroutine of
// its own (the committer): it takes every write queued so far, runs them in
// one transaction, hands each its own result, and goes on with what queued
// meanwhile. At low load a batch is one write; under load the writers that
// queued during one commit share the next, so throughput grows with load
// instead of stopping at one commit per write.
//
// Earlier the first writer to find no commit running did the committing
// itself, and kept at it until the queue ran dry: under steady load that
// writer's own ack waited for commit after commit (the long tail of the ack
// latency). Passing the lead to the next writer instead put the next commit
// behind every goroutine the answers had just woken (the scheduler runs
// those first), which stalled the pipeline. A committer that only commits
// has neither problem.
type putBatcher struct {
	db *sql.DB

	// The committer's statements, prepared on first use (the table may
	// not exist before migrations run); only the committer touches them.
	insert, update *sql.Stmt

	// beforeCommit, when set (tests only), runs before each batch commits.
	beforeCommit func()

	// restart is set by the checkpointer when the WAL has grown long: the
	// committer then completes a checkpoint between two batches, so that
	// the WAL starts over (checkpoint.go).
	restart atomic.Bool

	// reqs is the queue. A channel rather than a slice behind a mutex:
	// under CPU starvation the mutex went into its FIFO hand-off mode, and
	// every write waited for each writer before it to be scheduled (24 s of
	// waiting in an 8 s block profile at 10,000 updates/s).
	reqs chan *putRequest
	stop chan struct{} // closed by close: commit what is queued and exit
	done chan struct{} // closed when the committer has exited

	// closing orders put against close: puts hold it shared while they
	// queue, so that nothing is queued after the committer's last drain.
	closing sync.RWMutex
	closed  bool
}

// queueLen bounds the queue; a writer that finds it full waits, as it
// would for its commit anyway.
const queueLen = 4 * maxBatch

type putRequest struct {
	ctx  context.Context
	ch   mangahub.ProgressChange
	done chan error
}

// putRequests are pooled: a request and its channel per write would be a
// good part of the store's allocations.
var putRequests = sync.Pool{New: func() any { return &putRequest{done: make(chan error, 1)} }}

func newPutBatcher(db *sql.DB) *putBatcher {
	b := &putBatcher{db: db, reqs: make(chan *putRequest, queueLen), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *putBatcher) put(ctx context.Context, ch mangahub.ProgressChange) error {
	req := putRequests.Get().(*putRequest)
	req.ctx, req.ch = ctx, ch
	b.closing.RLock()
	if b.closed {
		b.closing.RUnlock()
		putRequests.Put(req)
		return errClosed
	}
	b.reqs <- req
	b.closing.RUnlock()
	// A caller whose context ends while queued still waits: its write may
	// be in a commit under way, and it must not report failure for a
	// change that was stored.
	err := <-req.done
	req.ctx, req.ch = nil, mangahub.ProgressChange{}
	putRequests.Put(req)
	return err
}

// run is the committer.
func (b *putBatcher) run() {
	defer close(b.done)
	batch := make([]*putRequest, 0, maxBatch)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.stop:
			b.drain(batch)
			return
		}
	more: // everything queued meanwhile joins the batch
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		b.commitBatch(batch)
		clear(batch)
	}
}

// drain commits what is left in the queue, once nothing more can come.
func (b *putBatcher) drain(batch []*putRequest) {
	for {
		batch = batch[:0]
		for len(batch) < maxBatch && len(b.reqs) > 0 {
			batch = append(batch, <-b.reqs)
		}
		if len(batch) == 0 {
			return
		}
		b.commitBatch(batch)
	}
}

// commitBatch commits batch and answers each of its writers.
func (b *putBatcher) commitBatch(batch []*putRequest) {
	if b.restart.Load() {
		b.completeCheckpoint()
	}
	if b.beforeCommit != nil {
		b.beforeCommit()
	}
	results := b.commit(batch)
	for i, r := range batch {
		r.done <- results[i]
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

// completeCheckpoint checkpoints what the checkpointer has not copied yet,
// on the write connection, where no write can come meanwhile, so that the
// next transaction starts the WAL over. A reader still using old frames
// can hold it back; then the next batch tries again.
func (b *putBatcher) completeCheckpoint() {
	frames, copied, err := checkpoint(context.Background(), b.db)
	if err == nil && copied == frames {
		b.restart.Store(false)
	}
}

// prepare prepares the committer's statements once.
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

// queued counts the writes waiting for a batch.
func (b *putBatcher) queued() int { return len(b.reqs) }

// close commits what is queued, stops the committer and releases its
// statements; later writes fail. The pool closes after it.
func (b *putBatcher) close() {
	b.closing.Lock()
	already := b.closed
	b.closed = true
	b.closing.Unlock()
	if already {
		return
	}
	close(b.stop)
	<-b.done
	if b.insert != nil {
		b.insert.Close()
		b.update.Close()
	}
}
