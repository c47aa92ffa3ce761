package redis_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/redis"
	"github.com/mangahub/mangahub/internal/testenv"
)

// open returns a client on the test Redis with a prefix of its own, so
// tests never see each other's keys.
func open(t *testing.T) *redis.Client {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	c, err := redis.Open(testenv.RedisURL(t), redis.Options{Prefix: "mhtest:" + hex.EncodeToString(b) + ":", Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	return c
}

var t0 = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

func record(user string, manga int64, chapter int, version int64) *mangahub.Progress {
	return &mangahub.Progress{UserID: user, MangaID: manga, Chapter: chapter, Status: mangahub.StatusReading,
		LastReadAt: t0.Add(time.Duration(chapter) * time.Minute), UpdatedAt: t0.Add(time.Duration(version) * time.Second), Version: version}
}

// A write-behind change is refused until the library is loaded, then is a
// compare-and-set; a claim returns it, and an ack removes exactly what was
// written: a record changed after the claim stays queued.
func TestCacheAndQueue(t *testing.T) {
	c := open(t)
	ctx := t.Context()
	cache, queue := redis.NewCache(c), redis.NewQueue(c, time.Minute)
	const user = "0195f0c4-0000-7000-8000-000000000001"
	v1 := record(user, 7, 1, 1)

	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: v1}); err != mangahub.ErrNotLoaded {
		t.Fatalf("ApplyQueued before the library is loaded = %v, want ErrNotLoaded", err)
	}
	if _, loaded, err := cache.CachedProgress(ctx, user, 7); err != nil || loaded {
		t.Fatalf("CachedProgress of an unloaded library: loaded=%v err=%v", loaded, err)
	}
	if err := cache.FillLibrary(ctx, user, nil); err != nil {
		t.Fatal(err)
	}
	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: v1}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: record(user, 7, 9, 1)}); err != mangahub.ErrVersionMismatch {
		t.Fatalf("second create = %v, want ErrVersionMismatch", err)
	}
	got, loaded, err := cache.CachedProgress(ctx, user, 7)
	if err != nil || !loaded || *got != *v1 {
		t.Fatalf("CachedProgress = %+v loaded=%v err=%v, want %+v", got, loaded, err, v1)
	}
	if n, oldest, err := queue.Pending(ctx); err != nil || n != 1 || oldest.IsZero() {
		t.Fatalf("Pending = %d, %v, %v; want 1 entry with its time", n, oldest, err)
	}

	b, held, err := queue.Claim(ctx, shardOf(t, queue, user, 7), 10)
	if err != nil || !held || len(b.Records) != 1 || *b.Records[0].Progress != *v1 {
		t.Fatalf("Claim = %+v held=%v err=%v", b, held, err)
	}
	if _, held, _ := queue.Claim(ctx, b.Shard, 10); held {
		t.Fatal("a second flusher claimed a shard that is held")
	}
	v2 := record(user, 7, 2, 2) // changed after the claim
	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: v2}); err != nil {
		t.Fatal(err)
	}
	if err := queue.Ack(ctx, b, mangahub.BatchResult{}); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := queue.Pending(ctx); n != 1 {
		t.Fatalf("after acking the older state, %d pending, want 1 (the newer one)", n)
	}
	b, held, err = queue.Claim(ctx, b.Shard, 10)
	if err != nil || !held || len(b.Records) != 1 || *b.Records[0].Progress != *v2 {
		t.Fatalf("Claim after the ack = %+v held=%v err=%v, want v2", b, held, err)
	}
	if err := queue.Ack(ctx, b, mangahub.BatchResult{}); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := queue.Pending(ctx); n != 0 {
		t.Fatalf("%d pending after the last ack, want 0", n)
	}

	// Newer wins in a merge; an older state never overwrites.
	if err := cache.ApplyMerged(ctx, mangahub.ProgressChange{Progress: v1}); err != nil {
		t.Fatal(err)
	}
	lib, loaded, err := cache.CachedLibrary(ctx, user)
	if err != nil || !loaded || len(lib) != 1 || *lib[0] != *v2 {
		t.Fatalf("CachedLibrary after merging an older state = %+v loaded=%v err=%v, want [v2]", lib, loaded, err)
	}
}

// shardOf finds the shard holding a queued record by claiming each one.
func shardOf(t *testing.T, q *redis.Queue, user string, manga int64) int {
	t.Helper()
	for s := range q.Shards() {
		b, held, err := q.Claim(t.Context(), s, 10)
		if err != nil {
			t.Fatal(err)
		}
		if held {
			if err := q.Release(t.Context(), b); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range b.Records {
			if p.UserID == user && p.MangaID == manga {
				return s
			}
		}
	}
	t.Fatalf("no shard holds %s/%d", user, manga)
	return -1
}
