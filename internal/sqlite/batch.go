package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/mangahub/mangahub"
)

// maxBatch bounds one group commit, so that a burst cannot make one
// transaction (and the wait of its first writer) arbitrarily long.
const maxBatch = 256

// putBatcher commits concurrent progress writes together. The first writer
// to arrive while no commit runs becomes the leader: it takes every write
// queued so far, runs them in one transaction, hands each its own result,
// and goes on while more have queued meanwhile. At low load a batch is one
// write and nothing waits; under load the writers that queued during one
// commit share the next, so throughput grows with load instead of stopping
// at one commit per write.
type putBatcher struct {
	db    *sql.DB
	stmts *stmts

	mu      sync.Mutex
	queue   []*putRequest
	leading bool
}

type putRequest struct {
	ctx  context.Context
	ch   mangahub.ProgressChange
	done chan error
}

func (b *putBatcher) put(ctx context.Context, ch mangahub.ProgressChange) error {
	req := &putRequest{ctx: ctx, ch: ch, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		b.lead()
	}
	// The leader's own result is in its channel too. A caller whose context
	// ends while queued still waits: its write may be in a commit under way,
	// and it must not report failure for a change that was stored.
	return <-req.done
}

// lead commits batches until the queue is empty.
func (b *putBatcher) lead() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.leading = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.commit(batch)
	}
}

func (b *putBatcher) commit(batch []*putRequest) {
	// The transaction serves every caller of the batch, so no one caller's
	// context may cancel it; and a context that cannot be cancelled spares
	// the driver an interrupt-watching goroutine per statement. A batch is
	// bounded by maxBatch primary-key writes.
	ctx := context.Background()
	results := make([]error, len(batch))
	insert, err := b.stmts.prepared(ctx, b.db, insertProgressSQL)
	if err == nil {
		var update *sql.Stmt
		update, err = b.stmts.prepared(ctx, b.db, updateProgressSQL)
		if err == nil {
			err = b.run(ctx, batch, insert, update, results)
		}
	}
	for i, r := range batch {
		if err != nil {
			r.done <- translate(ctx, err) // nothing of the batch is stored
			continue
		}
		r.done <- translate(ctx, results[i])
	}
}

// run executes the batch in one transaction, one result per write.
func (b *putBatcher) run(ctx context.Context, batch []*putRequest, insert, update *sql.Stmt, results []error) error {
	return inTx(ctx, b.db, func(tx *sql.Tx) error {
		insert, update := tx.StmtContext(ctx, insert), tx.StmtContext(ctx, update)
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
