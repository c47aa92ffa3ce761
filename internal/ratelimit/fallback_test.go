package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/ratelimit"
)

// down is a shared limiter whose store does not answer.
type down struct{}

var errDown = errors.New("redis down")

func (down) Allow(context.Context, string) (bool, time.Duration, error) { return false, 0, errDown }
func (down) Peek(context.Context, string) (bool, time.Duration, error)  { return false, 0, errDown }
func (down) Take(context.Context, string) error                         { return errDown }

// While the shared limiter fails, the local one decides (and limits), and
// the fallback says it is degraded; once the shared one answers, it decides
// again.
func TestFallbackDecidesLocallyWhileSharedIsDown(t *testing.T) {
	ctx := t.Context()
	var failures int
	f := ratelimit.NewFallback(down{}, ratelimit.New(ratelimit.Limit{Rate: 0.001, Burst: 1}, nil), func(error) { failures++ })
	if ok, _, err := f.Allow(ctx, "u"); !ok || err != nil {
		t.Fatalf("first Allow = %v, %v; want the local bucket's token", ok, err)
	}
	if ok, wait, _ := f.Allow(ctx, "u"); ok || wait <= 0 {
		t.Fatalf("second Allow = %v (retry in %v); want the local limit to hold", ok, wait)
	}
	if !f.Degraded() || failures != 2 {
		t.Fatalf("Degraded() = %v after %d failures, want true after 2", f.Degraded(), failures)
	}

	shared := ratelimit.New(ratelimit.Limit{Rate: 1000, Burst: 1000}, nil)
	f = ratelimit.NewFallback(shared, ratelimit.New(ratelimit.Limit{Rate: 0.001, Burst: 1}, nil), nil)
	for range 3 {
		if ok, _, err := f.Allow(ctx, "u"); !ok || err != nil {
			t.Fatalf("Allow with a working shared limiter = %v, %v", ok, err)
		}
	}
	if f.Degraded() {
		t.Fatal("Degraded() with a working shared limiter")
	}
}
