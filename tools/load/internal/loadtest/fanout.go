package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/wire"
)

// Fanout drives progress updates at a fixed global rate and times their
// acks and broadcasts. Each of Users users has ConnsPerUser connections: the
// first sends progress_update on a fixed schedule (open loop: it never waits
// for an ack), the others only receive. Send times are taken from the
// monotonic clock of this process, which also stamps the receipts, so the
// latencies need no clock synchronisation.
type Fanout struct {
	Addr string
	// RecvAddr, when set, is where the receiving connections dial (another
	// instance of a cluster); senders dial Addr.
	RecvAddr     string
	Tokens       []string // Tokens[u] authenticates user u
	Users        int
	ConnsPerUser int // ≥ 2
	Rate         float64
	Warmup       time.Duration // sent, not measured
	Duration     time.Duration // measured
	Drain        time.Duration // to wait for the last answers
	MangaIDs     []int64       // user u updates MangaIDs[u % len]
	Sources      []netip.Addr  // connection i dials from Sources[i % len]
	Concurrency  int           // handshakes in flight
	Timeout      time.Duration
	// Window, when set, is called as the measured window begins and as it
	// ends (on a goroutine of its own; the end call returns before Run
	// does), for metering CPU over the same time.
	Window func(begin bool)
}

// FanoutResult is what a fan-out run measured.
type FanoutResult struct {
	Users        int     `json:"users"`
	ConnsPerUser int     `json:"conns_per_user"`
	TargetRate   float64 `json:"target_rate"`
	// Sent counts every update; SentMeasured those sent in the measured
	// window, and SendRate is SentMeasured over Duration.
	Sent         int64   `json:"sent"`
	SentMeasured int64   `json:"sent_measured"`
	SendRate     float64 `json:"send_rate"`
	// Late counts sends more than a millisecond behind their schedule (the
	// sender could not keep the open loop); MaxLag is the worst.
	Late   int64         `json:"late_sends"`
	MaxLag time.Duration `json:"max_lag_ns"`
	// AckRate is acks received during the measured window per second: what
	// the server sustained.
	Acks     int64          `json:"acks"`
	Applied  int64          `json:"applied"`
	AckRate  float64        `json:"ack_rate"`
	Errors   map[string]int `json:"errors,omitempty"`
	Answered int64          `json:"answered"` // acks + errors
	// Broadcasts of this run's changes received, of Expected (applied ×
	// receivers per user). Others are counted in Errors as
	// foreign_broadcast.
	Broadcasts int64         `json:"broadcasts"`
	Expected   int64         `json:"expected_broadcasts"`
	AckLatency Latency       `json:"ack_latency"`
	FanLatency Latency       `json:"fanout_latency"`
	Duration   time.Duration `json:"duration_ns"`
}

type fanUser struct {
	idx       int
	manga     int64
	base      int            // chapter of seq 0
	sent      []atomic.Int64 // send time of seq (ns since epoch + 1; 0 = unsent)
	sender    *wire.LineClient
	receivers []*wire.LineClient
}

// fanState is shared by the senders and readers of one run.
type fanState struct {
	epoch       time.Time
	measureFrom int64 // ns since epoch
	measureTo   int64

	sent, sentMeasured, late atomic.Int64
	maxLag                   atomic.Int64
	acks, applied, answered  atomic.Int64
	acksInWindow             atomic.Int64
	broadcasts               atomic.Int64

	// ackRec and fanRec are shared by every reader: a histogram per
	// connection would be thousands of them, and a few thousand records a
	// second do not contend on its lock.
	ackRec, fanRec *Recorder

	mu     sync.Mutex
	errors map[string]int
}

func (st *fanState) now() int64 { return int64(time.Since(st.epoch)) }

// Run connects, drives the updates and reports. Connections are closed
// before it returns.
func (f Fanout) Run(ctx context.Context) (FanoutResult, error) {
	res := FanoutResult{Users: f.Users, ConnsPerUser: f.ConnsPerUser, TargetRate: f.Rate, Duration: f.Duration}
	if err := f.validate(); err != nil {
		return res, err
	}
	users, err := f.connect(ctx)
	defer func() {
		for _, u := range users {
			if u.sender != nil {
				u.sender.Close()
			}
			for _, r := range u.receivers {
				r.Close()
			}
		}
	}()
	if err != nil {
		return res, err
	}

	interval := time.Duration(float64(f.Users) / f.Rate * float64(time.Second))
	perUser := int(math.Ceil((f.Warmup+f.Duration).Seconds()*f.Rate/float64(f.Users))) + 2
	st := &fanState{epoch: time.Now(), errors: map[string]int{}, ackRec: NewRecorder(), fanRec: NewRecorder()}
	start := st.now() + int64(200*time.Millisecond) // every reader running first
	st.measureFrom = start + int64(f.Warmup)
	st.measureTo = st.measureFrom + int64(f.Duration)
	for _, u := range users {
		u.sent = make([]atomic.Int64, perUser)
	}
	windowDone := make(chan struct{})
	if f.Window != nil {
		at := func(ns int64) time.Duration { return time.Duration(ns) - time.Since(st.epoch) }
		time.AfterFunc(at(st.measureFrom), func() { f.Window(true) })
		time.AfterFunc(at(st.measureTo), func() { f.Window(false); close(windowDone) })
	} else {
		close(windowDone)
	}

	var readers sync.WaitGroup
	for _, u := range users {
		readers.Go(func() { st.readAcks(u, st.ackRec) })
		for _, c := range u.receivers {
			readers.Go(func() { st.readBroadcasts(u, c, st.fanRec) })
		}
	}

	var senders sync.WaitGroup
	for _, u := range users {
		senders.Add(1)
		go func() {
			defer senders.Done()
			phase := int64(interval) * int64(u.idx) / int64(f.Users)
			st.send(ctx, u, start+phase, int64(interval), st.measureTo)
		}()
	}
	senders.Wait()
	<-windowDone

	// Drain: wait for the answers still on their way, boundedly.
	drainUntil := time.Now().Add(f.Drain)
	for time.Now().Before(drainUntil) && ctx.Err() == nil {
		if st.answered.Load() >= st.sent.Load() && st.broadcasts.Load() >= st.applied.Load()*int64(f.ConnsPerUser-1) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, u := range users {
		u.sender.Close()
		for _, r := range u.receivers {
			r.Close()
		}
	}
	readers.Wait()

	res.Sent, res.SentMeasured = st.sent.Load(), st.sentMeasured.Load()
	res.SendRate = float64(res.SentMeasured) / f.Duration.Seconds()
	res.Late, res.MaxLag = st.late.Load(), time.Duration(st.maxLag.Load())
	res.Acks, res.Applied, res.Answered = st.acks.Load(), st.applied.Load(), st.answered.Load()
	res.AckRate = float64(st.acksInWindow.Load()) / f.Duration.Seconds()
	res.Broadcasts = st.broadcasts.Load()
	res.Expected = res.Applied * int64(f.ConnsPerUser-1)
	if len(st.errors) > 0 {
		res.Errors = st.errors
	}
	res.AckLatency = st.ackRec.Summary()
	res.FanLatency = st.fanRec.Summary()
	return res, nil
}

func (f Fanout) validate() error {
	switch {
	case f.Users < 1 || f.Users > len(f.Tokens):
		return fmt.Errorf("%d users need as many tokens; have %d", f.Users, len(f.Tokens))
	case f.ConnsPerUser < 2:
		return errors.New("fan-out needs at least 2 connections per user")
	case f.Rate <= 0 || f.Duration <= 0:
		return errors.New("rate and duration must be positive")
	case len(f.MangaIDs) == 0:
		return errors.New("no manga to update")
	case (f.Warmup+f.Duration).Seconds()*f.Rate/float64(f.Users) > 400_000:
		return errors.New("too many updates per user for the chapter range")
	}
	return nil
}

// connect opens every connection, Concurrency handshakes at a time.
func (f Fanout) connect(ctx context.Context) ([]*fanUser, error) {
	users := make([]*fanUser, f.Users)
	for u := range users {
		users[u] = &fanUser{
			idx: u, manga: f.MangaIDs[u%len(f.MangaIDs)],
			base:      1 + rand.IntN(500_000),
			receivers: make([]*wire.LineClient, f.ConnsPerUser-1),
		}
	}
	total := f.Users * f.ConnsPerUser
	next := make(chan int)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range max(f.Concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				u, k := users[i%f.Users], i/f.Users
				var src netip.Addr
				if len(f.Sources) > 0 {
					src = f.Sources[i%len(f.Sources)]
				}
				addr := f.Addr
				if k > 0 && f.RecvAddr != "" {
					addr = f.RecvAddr
				}
				c, err := DialAuth(ctx, addr, src, f.Tokens[u.idx], f.Timeout)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("connection %d of user %d: %w", k, u.idx, err)
				}
				if err == nil {
					if k == 0 {
						u.sender = c
					} else {
						u.receivers[k-1] = c
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := range total {
		next <- i
	}
	close(next)
	wg.Wait()
	return users, firstErr
}

// send is user u's open-loop sender: one update every interval from first
// until stop, each sent when due (or at once when behind).
func (st *fanState) send(ctx context.Context, u *fanUser, first, interval, stop int64) {
	var buf []byte
	for seq := 0; seq < len(u.sent); seq++ {
		due := first + int64(seq)*interval
		if due >= stop || ctx.Err() != nil {
			return
		}
		if wait := due - st.now(); wait > 0 {
			time.Sleep(time.Duration(wait))
		}
		now := st.now()
		if lag := now - due; lag > int64(time.Millisecond) {
			st.late.Add(1)
			for {
				cur := st.maxLag.Load()
				if lag <= cur || st.maxLag.CompareAndSwap(cur, lag) {
					break
				}
			}
		}
		buf = fmt.Appendf(buf[:0], `{"type":"progress_update","id":"%d","manga_id":%d,"chapter":%d,"force":true}`+"\n",
			seq, u.manga, u.base+seq)
		u.sent[seq].Store(now + 1)
		st.sent.Add(1)
		if now >= st.measureFrom {
			st.sentMeasured.Add(1)
		}
		if err := u.sender.SendRaw(buf); err != nil {
			return
		}
	}
}

// reply is the part of a server message the readers need.
type reply struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Code     string `json:"code"`
	Applied  bool   `json:"applied"`
	Progress *struct {
		Chapter int `json:"chapter"`
	} `json:"progress"`
}

// sentAt returns when seq was sent (ns since epoch) and whether it was.
func (u *fanUser) sentAt(seq int) (int64, bool) {
	if seq < 0 || seq >= len(u.sent) {
		return 0, false
	}
	v := u.sent[seq].Load()
	return v - 1, v != 0
}

// receive hands every message c receives, with when it arrived, to handle
// until c fails; lines that are not JSON are counted as errors.
func (st *fanState) receive(c *wire.LineClient, handle func(m *reply, now int64)) {
	for {
		line, err := c.ReceiveRaw(0)
		if err != nil {
			return
		}
		now := st.now()
		var m reply
		if json.Unmarshal(line, &m) != nil {
			st.countError("malformed")
			continue
		}
		handle(&m, now)
	}
}

func (st *fanState) readAcks(u *fanUser, rec *Recorder) {
	st.receive(u.sender, func(m *reply, now int64) {
		switch m.Type {
		case wire.TypeAck:
			st.acks.Add(1)
			st.answered.Add(1)
			if m.Applied {
				st.applied.Add(1)
			}
			if now >= st.measureFrom && now < st.measureTo {
				st.acksInWindow.Add(1)
			}
			seq, _ := strconv.Atoi(m.ID)
			if at, ok := u.sentAt(seq); ok && at >= st.measureFrom && at < st.measureTo {
				rec.Add(time.Duration(now - at))
			}
		case wire.TypeError:
			if m.ID != "" {
				st.answered.Add(1)
			}
			st.countError(m.Code)
		case wire.TypeProgressBroadcast:
			// The contract says a change is never pushed back to its own
			// connection. A push of someone else's change (another client
			// of the same user, say a previous run's connection whose
			// queued updates the server is still applying) is only noise.
			if m.Progress != nil {
				if _, ok := u.sentAt(m.Progress.Chapter - u.base); ok {
					st.countError("own_change_pushed_back")
					return
				}
			}
			st.countError("foreign_broadcast")
		}
	})
}

func (st *fanState) readBroadcasts(u *fanUser, c *wire.LineClient, rec *Recorder) {
	st.receive(c, func(m *reply, now int64) {
		switch {
		case m.Type == wire.TypeProgressBroadcast && m.Progress != nil:
			at, ok := u.sentAt(m.Progress.Chapter - u.base)
			if !ok {
				st.countError("foreign_broadcast") // not one of this run's changes
				return
			}
			st.broadcasts.Add(1)
			if at >= st.measureFrom && at < st.measureTo {
				rec.Add(time.Duration(now - at))
			}
		case m.Type == wire.TypeError:
			st.countError(m.Code)
		}
	})
}

func (st *fanState) countError(code string) {
	st.mu.Lock()
	st.errors[code]++
	st.mu.Unlock()
}
