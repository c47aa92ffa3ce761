package redis

import (
	"context"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// maxPipeline bounds one shared pipeline, so that a burst cannot make one
// round trip (and the wait of its first caller) arbitrarily long.
const maxPipeline = 256

// pipelineTimeout bounds one shared round trip; it serves many callers, so
// no single caller's context may end it.
const pipelineTimeout = 2 * time.Second

// batcher sends the hot path's commands of concurrent requests to Redis in
// one pipeline: one write and one read for the lot instead of a pair of
// system calls per command, which is most of what a progress update costs
// at load. The first caller to arrive while no pipeline is in flight leads:
// it sends everything queued so far and, when the round trip is back, hands
// the lead to the first caller queued meanwhile, which sends the next
// batch. At low load a pipeline is one command and nothing waits. (The SQL
// engines' group commit works the same way.)
type batcher struct {
	rdb *goredis.Client

	mu      sync.Mutex
	queue   []*pipelined
	leading bool
	sent    int // pipelines sent, for tests
}

type pipelined struct {
	add func(p goredis.Pipeliner)
	// turn is closed when the call's commands have run (lead false) or when
	// its caller is to lead the next pipeline (lead true).
	turn chan struct{}
	lead bool
}

// run adds fn's commands to the next shared pipeline and returns once they
// have run; fn keeps the commands it adds, to read their results then. fn
// runs on whichever goroutine leads, before the round trip. A context that
// has ended already sends nothing; one that ends while queued still waits,
// as the commands may be on their way.
func (b *batcher) run(ctx context.Context, fn func(p goredis.Pipeliner)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &pipelined{add: fn, turn: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := !b.leading
	b.leading = true
	b.mu.Unlock()
	if !lead {
		<-c.turn
		if !c.lead {
			return nil
		}
	}
	b.send()
	return nil
}

// send runs one pipeline of the queued calls (the leader's own first among
// them) and passes the lead on.
func (b *batcher) send() {
	b.mu.Lock()
	n := min(len(b.queue), maxPipeline)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.sent++
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), pipelineTimeout)
	pipe := b.rdb.Pipeline()
	for _, c := range batch {
		c.add(pipe)
	}
	// Each command carries its own result or error; Exec's error is the
	// first of them.
	_, _ = pipe.Exec(ctx)
	cancel()

	b.mu.Lock()
	var next *pipelined
	if len(b.queue) > 0 {
		next = b.queue[0]
	} else {
		b.leading = false
	}
	b.mu.Unlock()
	for _, c := range batch {
		if c != next && !c.lead { // a caller handed the lead was woken already
			close(c.turn)
		}
	}
	if next != nil {
		next.lead = true
		close(next.turn)
	}
}

// script runs s through the shared pipeline: EVALSHA, and EVAL on its own
// when Redis does not know the script (after a restart).
func (b *batcher) script(ctx context.Context, s *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	var cmd *goredis.Cmd
	if err := b.run(ctx, func(p goredis.Pipeliner) { cmd = s.EvalSha(ctx, p, keys, args...) }); err != nil {
		cmd = goredis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	if err := cmd.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		return s.Run(ctx, b.rdb, keys, args...)
	}
	return cmd
}
