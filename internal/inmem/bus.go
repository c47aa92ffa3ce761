// Package inmem holds the in-process engines of the embedded default: the
// event bus that connects the transports of one process.
package inmem

import (
	"context"
	"sync"

	"github.com/mangahub/mangahub"
)

// Bus delivers every published event to every subscriber of this process,
// synchronously: when Publish returns, every subscriber has been handed the
// event. Events of one publishing goroutine arrive in the order it
// published them; concurrent publishers are not ordered with each other
// (they hold the read lock together), so a subscriber may see their events
// interleaved either way. The progress rules do not rely on more: versions
// order a record's changes. Subscribers must not block (the hub only
// enqueues), so Publish never waits on a slow client.
type Bus struct {
	mu     sync.RWMutex
	nextID int
	subs   map[int]func(mangahub.Event)
}

var _ mangahub.Bus = (*Bus)(nil)

// NewBus returns a bus with no subscribers.
func NewBus() *Bus { return &Bus{subs: make(map[int]func(mangahub.Event))} }

// Publish hands ev to every subscriber.
func (b *Bus) Publish(_ context.Context, ev mangahub.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		fn(ev)
	}
	return nil
}

// Subscribe registers fn until the returned function is called.
func (b *Bus) Subscribe(fn func(mangahub.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	b.nextID++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// Watch is a no-op: every event of this process reaches every subscriber.
func (b *Bus) Watch(context.Context, string) (func(), error) { return func() {}, nil }
