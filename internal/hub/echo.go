package hub

import (
	"time"

	"github.com/mangahub/mangahub"
)

// echoTimeout bounds how long an ack waits for its own change to come back
// from the bus; past it the ack goes out anyway (the bus is failing).
const echoTimeout = 500 * time.Millisecond

// A device must see the versions of a record in order, its own changes
// included. The ack of a change and the broadcasts of other devices'
// changes travel different paths: the ack from the request, the
// broadcasts from the bus (over Redis, another connection). Without care, a
// device could get the ack of version 7 before the broadcast of version 6
// it was computed from, or the broadcast of version 8 before the ack of 7.
//
// So an applied change is acknowledged in the bus's order: the bus delivers
// the change's own event back to its connection (the echo, not forwarded
// to the client), everything the bus delivered before it has been queued by
// then, and what it delivers after it is held back until the ack is
// queued. A request is handled at a time per connection, so one echo at most
// is awaited.
type echoState struct {
	pending bool          // an update is in flight; its echo may come
	seen    echoKey       // the last echo received while pending
	held    [][]byte      // broadcasts after the echo, until the ack
	arrived chan struct{} // closed when the awaited echo comes; nil if none awaited
	want    echoKey
}

type echoKey struct {
	manga, version int64
	deleted        bool
}

func keyOf(p *mangahub.Progress) echoKey {
	return echoKey{manga: p.MangaID, version: p.Version, deleted: p.Deleted}
}

// expectEcho starts an update. It must come before the change is applied:
// an in-process bus delivers the echo while the change is being applied.
func (s *session) expectEcho() {
	s.mu.Lock()
	s.echo = echoState{pending: true}
	s.mu.Unlock()
}

// onEcho is the bus delivering a change this connection made.
func (s *session) onEcho(ev mangahub.Event) {
	if ev.Progress == nil {
		return
	}
	k := keyOf(ev.Progress)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.echo.pending {
		return // a late echo of an update acknowledged without it
	}
	s.echo.seen = k
	if s.echo.held == nil {
		s.echo.held = [][]byte{}
	}
	if s.echo.arrived != nil && k == s.echo.want {
		close(s.echo.arrived)
		s.echo.arrived = nil
	}
}

// holdBroadcast keeps line back while an echo came and its ack has not been
// queued; it reports whether it did.
func (s *session) holdBroadcast(line []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.echo.pending || s.echo.held == nil {
		return false
	}
	s.echo.held = append(s.echo.held, line)
	return true
}

// ackInOrder queues ack for a change the bus announced as p, after the
// change's echo (waiting for it unless waitEcho is false), then what was
// held back behind it.
func (s *session) ackInOrder(ack []byte, p *mangahub.Progress, waitEcho bool) {
	k := keyOf(p)
	s.mu.Lock()
	if waitEcho && s.echo.seen != k {
		ch := make(chan struct{})
		s.echo.arrived, s.echo.want = ch, k
		s.mu.Unlock()
		t := time.NewTimer(echoTimeout)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		s.mu.Lock()
		s.echo.arrived = nil
	}
	if s.echo.held == nil {
		// No echo (the bus failed): hold from here on, until released.
		s.echo.held = [][]byte{}
	}
	s.mu.Unlock()
	s.reply(ack)
	s.releaseHeld()
}

// endEcho ends an update that announced nothing (not applied, or failed),
// releasing anything held behind a stray echo.
func (s *session) endEcho() { s.releaseHeld() }

// releaseHeld queues the held broadcasts and ends the update. Broadcasts
// arriving meanwhile are held too, and queued in the next round, so that
// order holds until the last one.
func (s *session) releaseHeld() {
	for {
		s.mu.Lock()
		held := s.echo.held
		if len(held) == 0 {
			s.echo = echoState{}
			s.mu.Unlock()
			return
		}
		s.echo.held = [][]byte{}
		s.mu.Unlock()
		for _, line := range held {
			s.push(line)
		}
	}
}
