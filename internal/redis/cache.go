package redis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
)

// Cache is the hot progress store and the write-behind queue's producer
// side. It implements mangahub.ProgressCache.
type Cache struct {
	c   *Client
	now func() time.Time
}

var _ mangahub.ProgressCache = (*Cache)(nil)

// NewCache returns the hot store of c.
func NewCache(c *Client) *Cache { return &Cache{c: c, now: time.Now} }

// CachedProgress reads one record and whether the library is loaded, in one
// command.
func (h *Cache) CachedProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, bool, error) {
	var cmd *goredis.SliceCmd
	if err := h.c.batch.run(ctx, func(p goredis.Pipeliner) {
		cmd = p.HMGet(ctx, h.c.libKey(userID), strconv.FormatInt(mangaID, 10), "~")
	}); err != nil {
		return nil, false, unavailable(err)
	}
	vals, err := cmd.Result()
	if err != nil {
		return nil, false, unavailable(err)
	}
	if vals[1] == nil {
		return nil, false, nil
	}
	s, ok := vals[0].(string)
	if !ok {
		return nil, true, nil
	}
	p, err := decodeRecord(userID, mangaID, s)
	if err != nil {
		return nil, false, mangahub.Internal(err)
	}
	return p, true, nil
}

// CachedLibrary reads a user's whole library.
func (h *Cache) CachedLibrary(ctx context.Context, userID string) ([]*mangahub.Progress, bool, error) {
	m, err := h.c.rdb.HGetAll(ctx, h.c.libKey(userID)).Result()
	if err != nil {
		return nil, false, unavailable(err)
	}
	if _, ok := m["~"]; !ok {
		return nil, false, nil
	}
	ps := make([]*mangahub.Progress, 0, len(m))
	for field, s := range m {
		if strings.HasPrefix(field, "~") {
			continue
		}
		id, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return nil, false, mangahub.Internal(errBadRecord)
		}
		p, err := decodeRecord(userID, id, s)
		if err != nil {
			return nil, false, mangahub.Internal(err)
		}
		ps = append(ps, p)
	}
	return ps, true, nil
}

// FillLibrary loads ps (all of userID's records and tombstones).
func (h *Cache) FillLibrary(ctx context.Context, userID string, ps []*mangahub.Progress) error {
	args := make([]any, 0, 2+2*len(ps))
	args = append(args, h.c.ttl.Milliseconds(), userID+"|")
	for _, p := range ps {
		args = append(args, strconv.FormatInt(p.MangaID, 10), encodeStored(p))
	}
	keys := []string{h.c.libKey(userID), h.c.queueKey(h.c.shardOf(userID))}
	return unavailable(fillScript.Run(ctx, h.c.rdb, keys, args...).Err())
}

// ApplyQueued is the write-behind compare-and-set; see casScript.
func (h *Cache) ApplyQueued(ctx context.Context, ch mangahub.ProgressChange) error {
	p := ch.Progress
	expect := ""
	switch {
	case p.Deleted:
		expect = statePrefix(p.Version, false)
	case p.Version > 1:
		expect = statePrefix(p.Version-1, ch.BaseDeleted)
	}
	ev, err := json.Marshal(ch.Event())
	if err != nil {
		return mangahub.Internal(err)
	}
	shard := h.c.shardOf(p.UserID)
	res, err := h.c.batch.script(ctx, casScript, []string{h.c.libKey(p.UserID), h.c.queueKey(shard)},
		strconv.FormatInt(p.MangaID, 10), expect, encodeRecord(p), member(p.UserID, p.MangaID),
		h.now().UnixMilli(), h.c.channel(p.UserID), ev).Int()
	switch {
	case err != nil:
		return unavailable(err)
	case res == -1:
		return mangahub.ErrNotLoaded
	case res == 0:
		return mangahub.ErrVersionMismatch
	}
	return nil
}

// ApplyMerged updates the cache after a committed change and publishes it.
func (h *Cache) ApplyMerged(ctx context.Context, ch mangahub.ProgressChange) error {
	p := ch.Progress
	ev, err := json.Marshal(ch.Event())
	if err != nil {
		return mangahub.Internal(err)
	}
	return unavailable(h.c.batch.script(ctx, mergeScript, []string{h.c.libKey(p.UserID)},
		strconv.FormatInt(p.MangaID, 10), encodeStored(p), h.c.ttl.Milliseconds(), h.c.channel(p.UserID), ev).Err())
}

// Forget drops a user's cached library unless it has queued records; used
// after a Redis outage for the users changed meanwhile in the database.
func (h *Cache) Forget(ctx context.Context, userID string) error {
	return unavailable(forgetScript.Run(ctx, h.c.rdb, []string{h.c.libKey(userID)}).Err())
}

var forgetScript = goredis.NewScript(`
if tonumber(redis.call('HGET', KEYS[1], '~d') or '0') <= 0 then redis.call('DEL', KEYS[1]) end
return 1
`)

// QueuedReaders scans every shard's queue for records of mangaID and tells
// for each user whether the queued record is live: an administrative
// operation, linear in the queue's length.
func (h *Cache) QueuedReaders(ctx context.Context, mangaID int64) (map[string]bool, error) {
	field := strconv.FormatInt(mangaID, 10)
	suffix := "|" + field
	var users []string
	for s := range h.c.shards {
		members, err := h.c.rdb.ZRange(ctx, h.c.queueKey(s), 0, -1).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		for _, m := range members {
			if user, ok := strings.CutSuffix(m, suffix); ok {
				users = append(users, user)
			}
		}
	}
	pipe := h.c.rdb.Pipeline()
	recs := make([]*goredis.StringCmd, len(users))
	for i, u := range users {
		recs[i] = pipe.HGet(ctx, h.c.libKey(u), field)
	}
	if len(users) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
			return nil, unavailable(err)
		}
	}
	live := make(map[string]bool, len(users))
	for i, u := range users {
		p, err := decodeRecord(u, mangaID, recs[i].Val())
		live[u] = err == nil && !p.Deleted
	}
	return live, nil
}

// DropManga removes mangaID's records from the given users' libraries and
// from the queue, shard by shard, each shard in one script.
func (h *Cache) DropManga(ctx context.Context, mangaID int64, userIDs []string) error {
	byShard := make([][]any, h.c.shards)
	for _, u := range userIDs {
		s := h.c.shardOf(u)
		byShard[s] = append(byShard[s], u)
	}
	for s := range h.c.shards {
		args := append([]any{h.c.libPrefix(s), strconv.FormatInt(mangaID, 10), h.c.ttl.Milliseconds()}, byShard[s]...)
		if err := dropMangaScript.Run(ctx, h.c.rdb, []string{h.c.queueKey(s)}, args...).Err(); err != nil {
			return unavailable(err)
		}
	}
	return nil
}
