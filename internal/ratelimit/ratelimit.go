// Package ratelimit provides the in-process rate limiter: keyed token
// buckets, one per user, client address or username, created on first use
// and forgotten once full again; and Fallback, which puts it behind a shared
// (Redis) limiter for the time that one cannot answer.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mangahub/mangahub"
)

// Limit is a token-bucket setting: Rate tokens per second, Burst at most.
type Limit = mangahub.RateLimit

// Format writes l in the form ParseLimit reads.
func Format(l Limit) string {
	return fmt.Sprintf("%s/s,burst=%d", strconv.FormatFloat(l.Rate, 'f', -1, 64), l.Burst)
}

// ParseLimit reads the configuration form "20/s,burst=40". The unit may be
// s, m or h ("100/m"); burst defaults to the per-second rate rounded up (at
// least 1).
func ParseLimit(s string) (Limit, error) {
	head, burstPart, hasBurst := strings.Cut(strings.TrimSpace(s), ",")
	num, unit, ok := strings.Cut(head, "/")
	if !ok {
		return Limit{}, fmt.Errorf("rate limit %q: want N/s[,burst=M]", s)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return Limit{}, fmt.Errorf("rate limit %q: rate must be a positive number", s)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return Limit{}, fmt.Errorf("rate limit %q: unit must be s, m or h", s)
	}
	l := Limit{Rate: n / per.Seconds()}
	l.Burst = int(math.Ceil(l.Rate))
	if l.Burst < 1 {
		l.Burst = 1
	}
	if hasBurst {
		k, v, ok := strings.Cut(strings.TrimSpace(burstPart), "=")
		b, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) != "burst" || err != nil || b < 1 || b > 1_000_000 {
			return Limit{}, fmt.Errorf("rate limit %q: burst must be burst=N with N ≥ 1", s)
		}
		l.Burst = b
	}
	return l, nil
}

// Keyed is a set of token buckets sharing one Limit. It is safe for
// concurrent use.
type Keyed struct {
	limit Limit
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	sweepAt time.Time
}

var _ mangahub.RateLimiter = (*Keyed)(nil)

// New returns an empty Keyed limiter. now may be nil (time.Now).
func New(limit Limit, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{limit: limit, now: now, buckets: make(map[string]*rate.Limiter)}
}

// Allow takes a token from key's bucket, or says how long until one is free.
func (k *Keyed) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := k.allow(key)
	return ok, wait, nil
}

func (k *Keyed) allow(key string) (bool, time.Duration) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sweep(now)
	b := k.bucket(key)
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Peek reports, without taking a token, whether key's bucket has one, and if
// not how long until it will. Used for "failed logins per username": check
// first, and only a failure takes a token (Take).
func (k *Keyed) Peek(_ context.Context, key string) (bool, time.Duration, error) {
	ok, wait := k.peek(key)
	return ok, wait, nil
}

func (k *Keyed) peek(key string) (bool, time.Duration) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	if !ok {
		return true, 0
	}
	if tokens := b.TokensAt(now); tokens < 1 {
		return false, time.Duration((1 - tokens) / k.limit.Rate * float64(time.Second))
	}
	return true, 0
}

// Take removes a token from key's bucket even if that leaves it in debt.
func (k *Keyed) Take(_ context.Context, key string) error {
	k.take(key)
	return nil
}

func (k *Keyed) take(key string) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.bucket(key).ReserveN(now, 1)
}

func (k *Keyed) bucket(key string) *rate.Limiter {
	b, ok := k.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Limit(k.limit.Rate), k.limit.Burst)
		k.buckets[key] = b
	}
	return b
}

// sweep drops buckets that have refilled completely: they behave exactly like
// a new bucket, so forgetting them bounds memory without changing limits.
func (k *Keyed) sweep(now time.Time) {
	if now.Before(k.sweepAt) {
		return
	}
	k.sweepAt = now.Add(time.Minute)
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.limit.Burst) {
			delete(k.buckets, key)
		}
	}
}
