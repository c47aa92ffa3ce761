package mangahub

import "time"

// RateLimiter is a set of token buckets, one per key (a user ID, a client
// address, a username).
type RateLimiter interface {
	// Allow takes one token from key's bucket. When none is left it returns
	// false and how long until one will be.
	Allow(key string) (ok bool, retryAfter time.Duration)
}
