package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
)

// maxBatch bounds one group commit, so that a burst cannot make one
// statement (and the wait of its first writer) arbitrarily long.
const maxBatch = 512

// casBatcher runs concurrent compare-and-sets of progress in one statement,
// which is also one transaction and one WAL flush. The first writer to
// arrive while no statement runs becomes the leader: it takes every write
// queued so far, runs them together, hands each its own result, and goes on
// while more have queued meanwhile. At low load a batch is one write and
// nothing waits; under load throughput grows with load instead of stopping
// at one commit per write.
type casBatcher struct {
	db *DB

	mu      sync.Mutex
	queue   []*casRequest
	leading bool
}

type casRequest struct {
	ctx  context.Context
	ch   mangahub.ProgressChange
	done chan error
}

func (b *casBatcher) apply(ctx context.Context, ch mangahub.ProgressChange) error {
	req := &casRequest{ctx: ctx, ch: ch, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if lead {
		b.lead()
	}
	// A caller whose context ends while queued still waits: its write may be
	// in a statement under way, and it must not report failure for a change
	// that was stored.
	return <-req.done
}

func (b *casBatcher) lead() {
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
		b.run(batch)
	}
}

// casSQL applies a batch of compare-and-sets: updates from the state each
// was computed from, inserts where there is no record (and both parents
// exist, so that one missing manga cannot abort the others). It returns the
// index of every change that was applied.
const casSQL = `
WITH input AS (
	SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[],
		$5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::boolean[], $9::integer[],
		$10::bigint[], $11::boolean[], $12::boolean[])
		AS t (user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted, idx,
			base_version, base_deleted, direct)
), upd AS (
	UPDATE user_progress p SET
		current_chapter = i.current_chapter, status = i.status, last_read_at = i.last_read_at,
		updated_at = i.updated_at, version = i.version, deleted = i.deleted, direct = i.direct
	FROM input i
	WHERE i.base_version > 0 AND p.user_id = i.user_id AND p.manga_id = i.manga_id
		AND p.version = i.base_version AND p.deleted = i.base_deleted
	RETURNING i.idx
), ins AS (
	INSERT INTO user_progress (` + progressColumns + `, direct)
	SELECT user_id, manga_id, current_chapter, status, last_read_at, updated_at, version, deleted, direct
	FROM input i
	WHERE i.base_version = 0
		AND EXISTS (SELECT 1 FROM manga m WHERE m.id = i.manga_id)
		AND EXISTS (SELECT 1 FROM users u WHERE u.id = i.user_id)
	ORDER BY user_id, manga_id
	ON CONFLICT (user_id, manga_id) DO NOTHING
	RETURNING user_id, manga_id
)
SELECT idx FROM upd
UNION ALL
SELECT i.idx FROM ins JOIN input i USING (user_id, manga_id) WHERE i.base_version = 0`

// run executes one batch and answers every request of it.
func (b *casBatcher) run(batch []*casRequest) {
	// The statement serves every caller of the batch, so no one caller's
	// context may cancel it; it is bounded by maxBatch primary-key writes.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// One statement can apply at most one change per record, from the one
	// stored state: of several changes of one record only the first takes
	// part, the others lose as they would have anyway and retry.
	type key struct {
		user  string
		manga int64
	}
	results := make([]error, len(batch))
	var (
		cols    progressArrays
		bases   []int64
		based   []bool
		direct  []bool
		members []int // batch index of each statement row
		taken   = make(map[key]bool, len(batch))
	)
	for i, r := range batch {
		p := r.ch.Progress
		k := key{p.UserID, p.MangaID}
		switch {
		case r.ctx.Err() != nil:
			results[i] = mangahub.Unavailable(r.ctx.Err()) // gave up before its turn
			continue
		case taken[k]:
			results[i] = mangahub.ErrVersionMismatch
			continue
		}
		taken[k] = true
		baseVersion, baseDeleted := p.Version-1, r.ch.BaseDeleted
		if p.Deleted {
			baseVersion, baseDeleted = p.Version, false
		}
		cols.add(p)
		bases, based = append(bases, baseVersion), append(based, baseDeleted)
		direct = append(direct, r.ch.Direct)
		members = append(members, i)
	}
	if len(members) > 0 {
		applied, err := b.exec(ctx, cols, bases, based, direct)
		for row, i := range members {
			switch {
			case err != nil:
				results[i] = err
			case applied[row]:
				results[i] = nil
			default:
				results[i] = b.whyNot(ctx, batch[i].ch.Progress)
			}
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

func (b *casBatcher) exec(ctx context.Context, cols progressArrays, bases []int64, based, direct []bool) ([]bool, error) {
	rows, err := b.db.pool.Query(ctx, casSQL, append(cols.args(), bases, based, direct)...)
	if err != nil {
		return nil, b.translate(ctx, err)
	}
	idx, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, b.translate(ctx, err)
	}
	applied := make([]bool, len(bases))
	for _, i := range idx {
		applied[i] = true
	}
	return applied, nil
}

// translate maps a batch failure; a foreign key violation (a manga deleted
// between the check and the insert) makes every writer re-read and retry,
// which then finds out which manga is gone.
func (b *casBatcher) translate(ctx context.Context, err error) error {
	if foreignKeyViolation(err) {
		return mangahub.ErrVersionMismatch
	}
	return translate(ctx, err)
}

// whyNot tells a change that was not applied why: a missing parent, or
// another writer.
func (b *casBatcher) whyNot(ctx context.Context, p *mangahub.Progress) error {
	if err := missingParent(ctx, b.db.pool, p.UserID, p.MangaID); err != nil {
		return translate(ctx, err)
	}
	return mangahub.ErrVersionMismatch
}
