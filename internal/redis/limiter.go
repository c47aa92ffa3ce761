package redis

import (
	"context"
	"math"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
)

// Limiter is a cluster-wide rate limiter: the generic cell rate algorithm
// (GCRA, a token bucket kept as one timestamp) in one script per decision,
// on Redis's clock, so that every instance shares one bucket per key and no
// two instances' clocks need to agree. It implements mangahub.RateLimiter.
type Limiter struct {
	c    *Client
	name string
	// interval is the time one token takes to come back (1/rate), tau the
	// time the whole burst takes; both in microseconds.
	interval, tau int64
}

var _ mangahub.RateLimiter = (*Limiter)(nil)

// NewLimiter returns the limiter called name (it keeps its buckets apart
// from other limiters') with limit l.
func NewLimiter(c *Client, name string, l mangahub.RateLimit) *Limiter {
	interval := int64(math.Ceil(1e6 / l.Rate))
	return &Limiter{c: c, name: name, interval: interval, tau: interval * int64(max(l.Burst, 1))}
}

// Script modes.
const (
	gcraAllow = "allow"
	gcraPeek  = "peek"
	gcraTake  = "take"
)

// gcraScript decides for one bucket. KEYS: the bucket. ARGV: mode, interval
// (µs), tau (µs). The bucket holds its theoretical arrival time (TAT, µs):
// a token is there when TAT + interval - now ≤ tau. Returns {allowed 1/0,
// retry after (µs)}. take stores whatever the result (a bucket may go into
// debt); peek stores nothing.
var gcraScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tau = tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new = tat + interval
local over = new - now - tau
if ARGV[1] == 'take' or (ARGV[1] == 'allow' and over <= 0) then
  redis.call('SET', KEYS[1], new, 'PX', math.ceil((new - now) / 1000) + 1)
end
if over > 0 then return {0, over} end
return {1, 0}
`)

func (l *Limiter) run(ctx context.Context, mode, key string) (bool, time.Duration, error) {
	res, err := l.c.batch.script(ctx, gcraScript, []string{l.c.prefix + "rl:" + l.name + ":{" + key + "}"},
		mode, l.interval, l.tau).Int64Slice()
	if err != nil {
		return false, 0, unavailable(err)
	}
	if len(res) != 2 {
		return false, 0, mangahub.Internal(errBadRecord)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}

// Allow implements mangahub.RateLimiter.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	return l.run(ctx, gcraAllow, key)
}

// Peek implements mangahub.RateLimiter.
func (l *Limiter) Peek(ctx context.Context, key string) (bool, time.Duration, error) {
	return l.run(ctx, gcraPeek, key)
}

// Take implements mangahub.RateLimiter.
func (l *Limiter) Take(ctx context.Context, key string) error {
	_, _, err := l.run(ctx, gcraTake, key)
	return err
}
