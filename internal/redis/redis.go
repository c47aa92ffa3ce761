// Package redis is the Redis engine: the hot progress store (each user's
// whole library in one hash), the durable write-behind queue, the
// cross-instance event bus and a cluster-wide rate limiter, behind the root
// package's interfaces (mangahub.ProgressCache, ProgressQueue, Bus,
// RateLimiter).
//
// Key layout (docs/deployment.md): every key starts with the prefix
// ("mangahub:" by default) and a hash tag naming one of Shards shards,
// chosen by hashing the user ID:
//
//	mangahub:{s<k>}:lib:<user>   hash: manga_id → record; "~" marks a complete
//	                             library, "~d" counts its queued records
//	mangahub:{s<k>}:queue        sorted set: "<user>|<manga_id>" queued for the
//	                             flusher, scored by when it was first queued (ms)
//	mangahub:{s<k>}:lease        the flusher holding the shard, with a TTL
//	mangahub:{s<k>}:dead         list: records the durable store refused
//	mangahub:{s<k>}:ev:<user>    pub/sub channel of the user's events
//	mangahub:rl:<name>:{<key>}   rate-limit state (GCRA), one key each
//
// Everything one script touches shares its hash tag, so a Redis Cluster can
// run every script on one node. Only clean libraries carry a TTL: a library
// with queued records, the queue and the dead-letter lists never expire, so
// under a noeviction or volatile-* policy Redis never evicts an
// acknowledged write.
package redis

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
)

// Defaults of Options.
const (
	DefaultPrefix   = "mangahub:"
	DefaultShards   = 16
	DefaultCacheTTL = time.Hour
)

// Options tune a Client; zero fields take the defaults.
type Options struct {
	// Prefix starts every key and channel.
	Prefix string
	// Shards is the number of queue shards (and hash tags). Every instance
	// of a cluster must use the same number.
	Shards int
	// CacheTTL is how long a clean library stays cached after its last use.
	CacheTTL time.Duration
}

// Client is one connection pool to Redis and the key layout.
type Client struct {
	rdb    *goredis.Client
	batch  *batcher // the hot path's shared pipelines
	prefix string
	shards int
	ttl    time.Duration
}

// Open parses url (redis://[user:password@]host:port/db) and prepares a
// pool; it does not connect. Timeouts are short: a Redis that does not
// answer within a second is treated as down, and the service degrades to the
// database rather than waiting.
func Open(url string, o Options) (*Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", redactURL(err))
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolSize = 64
	opt.MinIdleConns = 4
	// A retried script may have run once already; the service retries
	// at its own level, where a compare-and-set makes that safe.
	opt.MaxRetries = -1
	opt.ClientName = "mangahub"
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Shards <= 0 {
		o.Shards = DefaultShards
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	rdb := goredis.NewClient(opt)
	return &Client{rdb: rdb, batch: &batcher{rdb: rdb}, prefix: o.Prefix, shards: o.Shards, ttl: o.CacheTTL}, nil
}

// redactURL keeps a password in a malformed URL out of the error.
func redactURL(err error) error { return errors.New(strings.SplitN(err.Error(), "://", 2)[0]) }

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error { return unavailable(c.rdb.Ping(ctx).Err()) }

// Probe checks that Redis takes writes (a Redis out of memory under the
// noeviction policy answers PING but refuses them).
func (c *Client) Probe(ctx context.Context) error {
	return unavailable(c.rdb.Set(ctx, c.prefix+"probe", "1", time.Second).Err())
}

// Persistent reports whether Redis keeps an append-only file, which is what
// makes acknowledged write-behind changes survive a Redis restart.
func (c *Client) Persistent(ctx context.Context) (bool, error) {
	m, err := c.rdb.ConfigGet(ctx, "appendonly").Result()
	if err != nil {
		return false, unavailable(err)
	}
	return m["appendonly"] == "yes", nil
}

// EvictionPolicy returns Redis's maxmemory-policy, or "" when the server
// does not tell (CONFIG may be renamed away on managed services).
func (c *Client) EvictionPolicy(ctx context.Context) (string, error) {
	m, err := c.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return "", unavailable(err)
	}
	return m["maxmemory-policy"], nil
}

// SafePolicy reports whether a maxmemory-policy never evicts keys without
// a TTL, which is what keeps queued writes safe.
func SafePolicy(policy string) bool {
	return policy == "noeviction" || strings.HasPrefix(policy, "volatile-")
}

// Shards is the number of queue shards.
func (c *Client) Shards() int { return c.shards }

func (c *Client) shardOf(userID string) int {
	h := fnv.New32a()
	h.Write([]byte(userID))
	return int(h.Sum32() % uint32(c.shards))
}

func (c *Client) tag(shard int) string { return c.prefix + "{s" + strconv.Itoa(shard) + "}:" }

func (c *Client) libKey(userID string) string { return c.tag(c.shardOf(userID)) + "lib:" + userID }
func (c *Client) libPrefix(shard int) string  { return c.tag(shard) + "lib:" }
func (c *Client) queueKey(shard int) string   { return c.tag(shard) + "queue" }
func (c *Client) leaseKey(shard int) string   { return c.tag(shard) + "lease" }
func (c *Client) deadKey(shard int) string    { return c.tag(shard) + "dead" }
func (c *Client) channel(userID string) string {
	return c.tag(c.shardOf(userID)) + "ev:" + userID
}

// unavailable translates a Redis failure, once, here.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var e *mangahub.Error
	if errors.As(err, &e) {
		return err
	}
	return mangahub.Unavailable(fmt.Errorf("redis: %w", err))
}

// SetLogger sends go-redis's own messages (a pool that cannot dial, a
// reconnect) to logger at debug level instead of unstructured lines on
// stderr: the failures that matter reach the service as errors, and are
// logged there once. go-redis has one logger per process.
func SetLogger(logger *slog.Logger) { goredis.SetLogger(slogAdapter{logger}) }

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(ctx context.Context, format string, v ...any) {
	if a.l.Enabled(ctx, slog.LevelDebug) {
		a.l.DebugContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
	}
}
