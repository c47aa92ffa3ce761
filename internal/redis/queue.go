package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
)

// Queue is the write-behind queue's consumer side: flushers claim a shard,
// write its records to the durable store and acknowledge them. It
// implements mangahub.ProgressQueue.
type Queue struct {
	c     *Client
	lease time.Duration
}

var _ mangahub.ProgressQueue = (*Queue)(nil)

// NewQueue returns the queue of c. lease is how long a claim holds its shard
// before another flusher may take it (a flusher that died mid-batch leaves
// its entries to the next one).
func NewQueue(c *Client, lease time.Duration) *Queue {
	if lease <= 0 {
		lease = 30 * time.Second
	}
	return &Queue{c: c, lease: lease}
}

// Shards implements mangahub.ProgressQueue.
func (q *Queue) Shards() int { return q.c.shards }

// Claim implements mangahub.ProgressQueue.
func (q *Queue) Claim(ctx context.Context, shard, n int) (mangahub.QueueBatch, bool, error) {
	b := mangahub.QueueBatch{Shard: shard, Claim: newToken()}
	res, err := claimScript.Run(ctx, q.c.rdb, []string{q.c.queueKey(shard), q.c.leaseKey(shard)},
		b.Claim, q.lease.Milliseconds(), n, q.c.libPrefix(shard)).Slice()
	if err != nil {
		return b, false, unavailable(err)
	}
	if len(res) == 0 || res[0] != int64(1) || len(res)%3 != 1 {
		return b, false, nil
	}
	for i := 1; i+2 < len(res); i += 3 {
		m, _ := res[i].(string)
		rec, _ := res[i+1].(string)
		score, _ := res[i+2].(string)
		user, manga, err := splitMember(m)
		if err != nil {
			return b, true, mangahub.Internal(err)
		}
		q, err := decodeQueued(user, manga, rec)
		if err != nil {
			return b, true, mangahub.Internal(fmt.Errorf("queued %s: %w", m, err))
		}
		if ms, err := strconv.ParseInt(score, 10, 64); err == nil {
			q.Queued = time.UnixMilli(ms)
		}
		b.Records = append(b.Records, q)
	}
	return b, true, nil
}

// Ack implements mangahub.ProgressQueue.
func (q *Queue) Ack(ctx context.Context, b mangahub.QueueBatch, res mangahub.BatchResult) error {
	outcome := make(map[*mangahub.Progress]string, len(res.Rejected)+len(res.Diverged))
	for _, r := range res.Rejected {
		outcome[r.Progress] = "1" // refused: parked
		if r.Deleted {
			outcome[r.Progress] = "2" // a delete of a record whose parent is gone: done
		}
	}
	for _, d := range res.Diverged {
		outcome[d.Queued.Progress] = "3" // not written: stays queued
	}
	args := make([]any, 0, 3+3*len(b.Records))
	args = append(args, b.Claim, q.c.libPrefix(b.Shard), q.c.ttl.Milliseconds())
	for _, r := range b.Records {
		o, ok := outcome[r.Progress]
		if !ok {
			o = "0" // written
		}
		args = append(args, member(r.UserID, r.MangaID), encodeQueued(r), o)
	}
	keys := []string{q.c.queueKey(b.Shard), q.c.leaseKey(b.Shard), q.c.deadKey(b.Shard)}
	return unavailable(ackScript.Run(ctx, q.c.rdb, keys, args...).Err())
}

// Reconcile implements mangahub.ProgressQueue.
func (q *Queue) Reconcile(ctx context.Context, old, next mangahub.QueuedProgress, origin mangahub.Origin) (bool, error) {
	p := next.Progress
	ev, err := json.Marshal(mangahub.ProgressChange{Progress: p, Origin: origin}.Event())
	if err != nil {
		return false, mangahub.Internal(err)
	}
	shard := q.c.shardOf(p.UserID)
	n, err := reconcileScript.Run(ctx, q.c.rdb, []string{q.c.libKey(p.UserID), q.c.queueKey(shard)},
		strconv.FormatInt(p.MangaID, 10), encodeQueued(old), encodeQueued(next), member(p.UserID, p.MangaID),
		time.Now().UnixMilli(), q.c.channel(p.UserID), ev).Int()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// Release implements mangahub.ProgressQueue.
func (q *Queue) Release(ctx context.Context, b mangahub.QueueBatch) error {
	return unavailable(releaseScript.Run(ctx, q.c.rdb, []string{q.c.leaseKey(b.Shard)}, b.Claim).Err())
}

// Pending implements mangahub.ProgressQueue: one pipeline over the shards.
func (q *Queue) Pending(ctx context.Context) (int, time.Time, error) {
	pipe := q.c.rdb.Pipeline()
	cards := make([]*goredis.IntCmd, q.c.shards)
	oldest := make([]*goredis.ZSliceCmd, q.c.shards)
	for s := range q.c.shards {
		cards[s] = pipe.ZCard(ctx, q.c.queueKey(s))
		oldest[s] = pipe.ZRangeWithScores(ctx, q.c.queueKey(s), 0, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, time.Time{}, unavailable(err)
	}
	var (
		n     int
		first time.Time
	)
	for s := range q.c.shards {
		n += int(cards[s].Val())
		if z := oldest[s].Val(); len(z) > 0 {
			at := time.UnixMilli(int64(z[0].Score)).UTC()
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
	}
	return n, first, nil
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
