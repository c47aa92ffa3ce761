package redis

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mangahub/mangahub"
)

// watchTimeout bounds how long Watch waits for Redis to confirm a
// subscription; a connection's handshake must not hang on a slow Redis.
const watchTimeout = 2 * time.Second

// Bus is the cluster event bus over Redis sharded pub/sub: one channel per
// user, which the hot-store scripts publish on in the same atomic step as
// the change, and which an instance subscribes to only while it holds live
// connections of that user (Watch). The bus cost of an instance therefore
// follows its own users, not the size of the cluster.
//
// Every event, this instance's own included, reaches the subscribers through
// Redis, so that each of them sees one user's events in the one order Redis
// published them. While Redis cannot be reached, Publish hands the event to
// this instance's subscribers directly: devices connected to the same
// instance stay in step, the others catch up from the next change they see.
type Bus struct {
	c   *Client
	ps  *goredis.PubSub
	log *slog.Logger

	mu      sync.Mutex
	subs    map[int]func(mangahub.Event)
	nextSub int
	watched map[string]int             // channel → number of watchers
	waiting map[string][]chan struct{} // channel → Watch calls awaiting confirmation

	subscribed     atomic.Bool // the subscription connection is up
	publishFailing atomic.Bool // the last Publish could not reach Redis
	done           chan struct{}
	stopped        chan struct{}
	closeOnce      sync.Once
}

var _ mangahub.Bus = (*Bus)(nil)

// NewBus starts the bus of c: one subscription connection and its reader.
// Close stops it.
func NewBus(c *Client, logger *slog.Logger) *Bus {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{
		c: c, log: logger,
		// A dedicated connection that only carries subscriptions; its
		// first command (SSUBSCRIBE or PING) opens it.
		ps:      c.rdb.SSubscribe(context.Background()),
		subs:    make(map[int]func(mangahub.Event)),
		watched: make(map[string]int),
		waiting: make(map[string][]chan struct{}),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go b.receive()
	return b
}

// Publish sends ev to every instance watching its user. When Redis cannot
// take it, the event goes to this instance's subscribers directly and
// Publish reports success: the change it announces is stored, and the
// devices on this instance must still hear of it.
func (b *Bus) Publish(ctx context.Context, ev mangahub.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return mangahub.Internal(err)
	}
	err = b.c.rdb.SPublish(ctx, b.c.channel(ev.UserID), payload).Err()
	if err == nil {
		if b.publishFailing.Swap(false) {
			b.log.Info("Redis publish works again")
		}
		return nil
	}
	if ctx.Err() == nil && !b.publishFailing.Swap(true) {
		// Once per outage: every change would log it otherwise.
		b.log.Warn("Redis publish failed; delivering on this instance only until it works again", "err", err)
	}
	b.deliver(ev)
	return nil
}

// Subscribe registers fn for the events of watched users.
func (b *Bus) Subscribe(fn func(mangahub.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextSub
	b.nextSub++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// Watch subscribes to userID's channel (once for all of its watchers) and
// returns once Redis confirmed the subscription. If Redis does not confirm
// in time, Watch returns an error and a working unwatch: the subscription
// stays wanted and is made as soon as Redis answers again.
func (b *Bus) Watch(ctx context.Context, userID string) (func(), error) {
	ch := b.c.channel(userID)
	b.mu.Lock()
	b.watched[ch]++
	first := b.watched[ch] == 1
	var confirmed chan struct{}
	if first {
		confirmed = make(chan struct{})
		b.waiting[ch] = append(b.waiting[ch], confirmed)
	}
	b.mu.Unlock()

	var once sync.Once
	unwatch := func() { once.Do(func() { b.unwatch(ch) }) }
	if !first {
		// Another watcher made the subscription; it may still be
		// awaiting its confirmation, which is close enough: it was asked
		// for before this call.
		return unwatch, nil
	}
	// go-redis remembers the channel even when the command fails, and
	// subscribes again on every reconnect.
	err := b.ps.SSubscribe(ctx, ch)
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, watchTimeout)
		defer cancel()
		select {
		case <-confirmed:
			return unwatch, nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	b.mu.Lock()
	b.dropWaiterLocked(ch, confirmed)
	b.mu.Unlock()
	return unwatch, unavailable(err)
}

func (b *Bus) unwatch(ch string) {
	b.mu.Lock()
	b.watched[ch]--
	last := b.watched[ch] <= 0
	if last {
		delete(b.watched, ch)
	}
	b.mu.Unlock()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), watchTimeout)
		defer cancel()
		// A failure leaves a subscription nobody reads; its events are
		// dropped in deliver's lookup. It is not worth a retry.
		_ = b.ps.SUnsubscribe(ctx, ch)
	}
}

func (b *Bus) dropWaiterLocked(ch string, w chan struct{}) {
	ws := b.waiting[ch]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(b.waiting, ch)
	} else {
		b.waiting[ch] = ws
	}
}

// Ready reports whether the subscription connection is up, so that events
// published now reach this instance.
func (b *Bus) Ready() bool { return b.subscribed.Load() }

// Close stops the reader and closes the subscription connection.
func (b *Bus) Close() error {
	var err error
	b.closeOnce.Do(func() {
		close(b.done)
		err = b.ps.Close()
		<-b.stopped
	})
	return err
}

// receive reads the subscription connection until Close. go-redis
// reconnects and subscribes again to every wanted channel after a failure;
// receive only waits a little between attempts and pings an idle connection
// so that a dead one is noticed.
func (b *Bus) receive() {
	defer close(b.stopped)
	ctx := context.Background()
	backoff := 50 * time.Millisecond
	connect := true
	for {
		if connect {
			// A PING (re)opens the connection, subscribes again and
			// answers with a pong, which marks the bus ready even when no
			// user is watched.
			_ = b.ps.Ping(ctx)
			connect = false
		}
		msg, err := b.ps.ReceiveTimeout(ctx, 5*time.Second)
		select {
		case <-b.done:
			return
		default:
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Idle: check the connection is alive.
				if err := b.ps.Ping(ctx); err == nil {
					continue
				}
			}
			if b.subscribed.Swap(false) {
				b.log.Warn("Redis subscription lost; reconnecting", "err", err)
			}
			select {
			case <-b.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
			connect = true
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "ssubscribe" {
				b.confirm(m.Channel)
			}
		case *goredis.Message:
			var ev mangahub.Event
			if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
				b.log.Error("malformed event on the bus", "channel", m.Channel, "err", err)
				continue
			}
			if ev.Type == mangahub.EventProgressDeleted && ev.Progress != nil {
				ev.Progress.Deleted = true // not part of the JSON form
			}
			b.deliver(ev)
		case *goredis.Pong:
			b.subscribed.Store(true)
		}
	}
}

// confirm wakes the Watch calls waiting for ch and marks the connection up.
func (b *Bus) confirm(ch string) {
	if !b.subscribed.Swap(true) {
		b.log.Info("Redis subscription up")
	}
	b.mu.Lock()
	ws := b.waiting[ch]
	delete(b.waiting, ch)
	b.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

func (b *Bus) deliver(ev mangahub.Event) {
	b.mu.Lock()
	fns := make([]func(mangahub.Event), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}
