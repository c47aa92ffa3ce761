package redis_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/redis"
)

// Concurrent hot-path commands share pipelines, and every caller gets its
// own command's result.
func TestConcurrentCommandsSharePipelines(t *testing.T) {
	c := open(t)
	cache := redis.NewCache(c)
	ctx := t.Context()
	const users, rounds = 32, 20
	for u := range users {
		user := fmt.Sprintf("user-%d", u)
		if err := cache.FillLibrary(ctx, user, []*mangahub.Progress{record(user, 1, u, int64(u+1))}); err != nil {
			t.Fatal(err)
		}
	}
	before := redis.Pipelines(c)
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			user := fmt.Sprintf("user-%d", u)
			want := record(user, 1, u, int64(u+1))
			for range rounds {
				p, loaded, err := cache.CachedProgress(ctx, user, 1)
				if err != nil || !loaded || *p != *want {
					t.Errorf("CachedProgress(%s) = %+v, %v, %v; want %+v", user, p, loaded, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	sent := redis.Pipelines(c) - before
	if sent <= 0 || sent >= users*rounds {
		t.Errorf("%d reads took %d pipelines: want them shared", users*rounds, sent)
	}
	t.Logf("%d reads in %d pipelines", users*rounds, sent)
}
