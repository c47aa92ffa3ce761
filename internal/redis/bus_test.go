package redis_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/redis"
)

// events collects what a bus delivers to one subscriber.
type events struct {
	mu  sync.Mutex
	got []mangahub.Event
	new chan struct{}
}

func collect(b mangahub.Bus) *events {
	e := &events{new: make(chan struct{}, 1024)}
	b.Subscribe(func(ev mangahub.Event) {
		e.mu.Lock()
		e.got = append(e.got, ev)
		e.mu.Unlock()
		e.new <- struct{}{}
	})
	return e
}

// waitFor waits until an event of user and manga arrived and returns every
// event received so far.
func (e *events) waitFor(t *testing.T, user string, manga int64) []mangahub.Event {
	t.Helper()
	return e.wait(t, func(got []mangahub.Event) bool {
		for _, ev := range got {
			if ev.UserID == user && ev.MangaID == manga {
				return true
			}
		}
		return false
	})
}

// waitN waits until n events arrived and returns them all.
func (e *events) waitN(t *testing.T, n int) []mangahub.Event {
	t.Helper()
	return e.wait(t, func(got []mangahub.Event) bool { return len(got) >= n })
}

func (e *events) wait(t *testing.T, done func([]mangahub.Event) bool) []mangahub.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		e.mu.Lock()
		got := append([]mangahub.Event(nil), e.got...)
		e.mu.Unlock()
		if done(got) {
			return got
		}
		select {
		case <-e.new:
		case <-deadline:
			t.Fatalf("timed out; events so far: %+v", got)
		}
	}
}

func event(user string, manga int64, version int64) mangahub.Event {
	p := record(user, manga, int(version), version)
	return mangahub.ProgressChange{Progress: p, Origin: mangahub.Origin{Source: mangahub.SourceTCP, ConnectionID: "c1"}}.Event()
}

// Two instances share one Redis: an instance receives the events of the
// users it watches, exactly once and in order, whoever published them, and
// nothing of the others.
func TestBusDeliversWatchedUsersAcrossInstances(t *testing.T) {
	c := open(t)
	a, b := redis.NewBus(c, nil), redis.NewBus(c, nil)
	t.Cleanup(func() { a.Close(); b.Close() })
	ea, eb := collect(a), collect(b)
	ctx := t.Context()

	unwatch, err := b.Watch(ctx, "alice")
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if _, err := a.Watch(ctx, "bob"); err != nil {
		t.Fatalf("Watch: %v", err)
	}
	for v := int64(1); v <= 3; v++ {
		if err := a.Publish(ctx, event("alice", 1, v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Publish(ctx, event("bob", 2, 1)); err != nil {
		t.Fatal(err)
	}
	// bob's event, published after alice's, is the barrier for a.
	gotA := ea.waitFor(t, "bob", 2)
	if len(gotA) != 1 {
		t.Errorf("instance a got %d events, want only bob's: %+v", len(gotA), gotA)
	}
	gotB := eb.waitN(t, 3)
	for i, ev := range gotB {
		if ev.UserID != "alice" || ev.Progress.Version != int64(i+1) || ev.Origin.ConnectionID != "c1" {
			t.Errorf("instance b event %d = %+v, want alice's version %d from c1", i, ev, i+1)
		}
	}

	// Once unwatched, alice's events no longer reach b.
	unwatch()
	if _, err := b.Watch(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, event("alice", 1, 4)); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, event("carol", 3, 1)); err != nil {
		t.Fatal(err)
	}
	got := eb.waitFor(t, "carol", 3)
	for _, ev := range got[3:] {
		if ev.UserID == "alice" {
			t.Errorf("unwatched user's event delivered: %+v", ev)
		}
	}
}

// The hot store's compare-and-set publishes in the same step: a watcher
// hears of a queued change without anyone calling Publish, and a delete
// arrives as a deleted event with the tombstone's version.
func TestCacheChangesArePublished(t *testing.T) {
	c := open(t)
	bus := redis.NewBus(c, nil)
	t.Cleanup(func() { bus.Close() })
	got := collect(bus)
	cache := redis.NewCache(c)
	ctx := t.Context()
	const user = "0195f0c4-0000-7000-8000-0000000000aa"
	if _, err := bus.Watch(ctx, user); err != nil {
		t.Fatal(err)
	}
	if err := cache.FillLibrary(ctx, user, nil); err != nil {
		t.Fatal(err)
	}
	v1 := record(user, 5, 3, 1)
	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: v1}); err != nil {
		t.Fatal(err)
	}
	tomb := *v1
	tomb.Deleted = true
	if err := cache.ApplyQueued(ctx, mangahub.ProgressChange{Progress: &tomb}); err != nil {
		t.Fatal(err)
	}
	evs := got.waitN(t, 2)
	if evs[0].Type != mangahub.EventProgressUpdated || *evs[0].Progress != *v1 {
		t.Errorf("first event %+v, want the update to %+v", evs[0], v1)
	}
	if evs[1].Type != mangahub.EventProgressDeleted || !evs[1].Progress.Deleted || evs[1].Progress.Version != 1 {
		t.Errorf("second event %+v, want the delete of version 1", evs[1])
	}
}

// Without Redis, Publish still reaches this instance's subscribers, and
// Watch fails in bounded time with an unwatch that works.
func TestBusWithoutRedisDeliversLocally(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := redis.Open("redis://"+addr+"/0", redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	bus := redis.NewBus(c, nil)
	t.Cleanup(func() { bus.Close() })
	got := collect(bus)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	unwatch, err := bus.Watch(ctx, "dave")
	if err == nil || !mangahub.IsCode(err, mangahub.CodeUnavailable) {
		t.Errorf("Watch without Redis = %v, want unavailable", err)
	}
	unwatch()
	if err := bus.Publish(ctx, event("dave", 9, 1)); err != nil {
		t.Fatalf("Publish without Redis = %v, want nil (delivered locally)", err)
	}
	if evs := got.waitFor(t, "dave", 9); len(evs) != 1 {
		t.Errorf("got %d events, want 1", len(evs))
	}
	if bus.Ready() {
		t.Error("Ready() = true without Redis")
	}
}
