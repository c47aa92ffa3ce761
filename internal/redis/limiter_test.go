package redis_test

import (
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/redis"
)

// Two instances share one bucket per key: the burst is spent once across
// them, then Allow refuses with the time until the next token; Peek takes
// nothing; Take goes into debt.
func TestLimiterIsSharedAcrossInstances(t *testing.T) {
	c := open(t)
	ctx := t.Context()
	limit := mangahub.RateLimit{Rate: 1, Burst: 3} // one token a second
	a, b := redis.NewLimiter(c, "test", limit), redis.NewLimiter(c, "test", limit)

	for i, l := range []*redis.Limiter{a, b, a} {
		if ok, _, err := l.Allow(ctx, "u1"); err != nil || !ok {
			t.Fatalf("Allow #%d within the burst = %v, %v", i+1, ok, err)
		}
	}
	ok, wait, err := b.Allow(ctx, "u1")
	if err != nil || ok {
		t.Fatalf("Allow past the burst = %v, %v; want refused", ok, err)
	}
	if wait <= 0 || wait > time.Second {
		t.Errorf("retry after %v, want within (0, 1s]", wait)
	}
	if ok, _, _ := a.Allow(ctx, "u2"); !ok {
		t.Error("another key's bucket is spent too")
	}
	if ok, _, _ := a.Allow(ctx, "u1"); ok {
		t.Error("a second instance saw a fresh bucket")
	}

	// Peek reports without taking.
	for range 5 {
		if ok, _, err := a.Peek(ctx, "u3"); err != nil || !ok {
			t.Fatalf("Peek of a full bucket = %v, %v", ok, err)
		}
	}
	// Take spends even past empty: after burst+2 takes, Peek refuses for
	// about three token intervals.
	for range limit.Burst + 2 {
		if err := b.Take(ctx, "u3"); err != nil {
			t.Fatal(err)
		}
	}
	ok, wait, err = a.Peek(ctx, "u3")
	if err != nil || ok {
		t.Fatalf("Peek of a bucket in debt = %v, %v; want refused", ok, err)
	}
	if wait < 2*time.Second || wait > 3*time.Second {
		t.Errorf("Peek of a bucket two tokens in debt: retry after %v, want about 3s", wait)
	}
	// Another limiter's buckets are apart.
	if ok, _, _ := redis.NewLimiter(c, "other", limit).Allow(ctx, "u1"); !ok {
		t.Error("a limiter of another name shares buckets")
	}
}
