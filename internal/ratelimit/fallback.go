package ratelimit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/mangahub/mangahub"
)

// Fallback asks a shared limiter first (Redis, so that a user's budget holds
// across a cluster) and, while that one cannot answer, a local one: limits
// then hold per instance instead of not at all. Degraded reports which is in
// use, for /readyz.
type Fallback struct {
	shared, local mangahub.RateLimiter
	onError       func(error)
	degraded      atomic.Bool
}

var _ mangahub.RateLimiter = (*Fallback)(nil)

// NewFallback returns shared backed by local. onError, when not nil, is told
// of every failure of shared (to log it).
func NewFallback(shared, local mangahub.RateLimiter, onError func(error)) *Fallback {
	if onError == nil {
		onError = func(error) {}
	}
	return &Fallback{shared: shared, local: local, onError: onError}
}

// Degraded reports whether the last decision was the local limiter's.
func (f *Fallback) Degraded() bool { return f.degraded.Load() }

// Allow implements mangahub.RateLimiter.
func (f *Fallback) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ok, wait, err := f.shared.Allow(ctx, key)
	if f.failed(err) {
		return f.local.Allow(ctx, key)
	}
	return ok, wait, nil
}

// Peek implements mangahub.RateLimiter.
func (f *Fallback) Peek(ctx context.Context, key string) (bool, time.Duration, error) {
	ok, wait, err := f.shared.Peek(ctx, key)
	if f.failed(err) {
		return f.local.Peek(ctx, key)
	}
	return ok, wait, nil
}

// Take implements mangahub.RateLimiter.
func (f *Fallback) Take(ctx context.Context, key string) error {
	if err := f.shared.Take(ctx, key); f.failed(err) {
		return f.local.Take(ctx, key)
	}
	return nil
}

func (f *Fallback) failed(err error) bool {
	f.degraded.Store(err != nil)
	if err != nil {
		f.onError(err)
	}
	return err != nil
}
