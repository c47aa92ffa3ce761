package mangahub

import (
	"context"
	"time"
)

// RateLimit is a token-bucket setting: Rate tokens per second, Burst at most.
type RateLimit struct {
	Rate  float64
	Burst int
}

// RateLimiter is a set of token buckets sharing one RateLimit, one bucket per
// key (a user ID, a client address, a username): per process by default,
// shared by a cluster over Redis. An error means the limiter could not
// decide (its store is down); callers then fail open or closed as they see
// fit, and the fallback limiter of package ratelimit decides locally.
type RateLimiter interface {
	// Allow takes one token from key's bucket. When none is left it takes
	// nothing and returns false and how long until one will be.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Peek reports, taking nothing, whether Allow would succeed now.
	Peek(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Take removes one token even if that leaves the bucket in debt (a
	// failed login counts whatever the bucket holds).
	Take(ctx context.Context, key string) error
}
