package hub

import (
	"context"
	"log/slog"

	"github.com/mangahub/mangahub/internal/protocol"
)

// The outbox: every message to the client goes through session.queue, so
// replies and pushes keep one order, and whoever finds no writer at work
// becomes the writer. The reader and request handlers write inline (they
// may wait on their own client); pushes from other connections start a
// writer goroutine that exits once the queue is empty, so an idle connection
// has none. A client that lets its queue fill is dropped, never waited on.

// reply queues line and writes it out on the calling goroutine if no writer
// is at work. For the reader and request handlers only.
func (s *session) reply(line []byte) {
	if s.enqueue(line, false, 0, false) {
		s.flush()
	}
}

// push queues line from any goroutine without blocking.
func (s *session) push(line []byte) {
	if s.enqueue(line, false, 0, true) {
		go s.flushAsync()
	}
}

// flushAsync is a writer goroutine; enqueue counted it in s.writers.
func (s *session) flushAsync() {
	defer s.writers.Done()
	s.flush()
}

// fail sends msg as the last message and closes the connection after it.
// For the reader and request handlers only.
func (s *session) fail(msg protocol.Error, reason CloseReason) {
	s.finish(protocol.Marshal(msg), reason, true)
}

// finish queues line as the last message; the writer closes the transport
// once it is out. inline says whether the caller may do the writing.
func (s *session) finish(line []byte, reason CloseReason, inline bool) {
	if !s.enqueue(line, true, reason, !inline) {
		return
	}
	if inline {
		s.flush()
		return
	}
	go s.flushAsync()
}

// enqueue adds line to the queue and reports whether the caller must start
// flushing; async says the caller will start a writer goroutine, which is
// then counted in s.writers under the lock, so that end never waits for an
// incomplete set of writers. final marks the farewell: nothing is queued
// after it, and it is queued even into a full queue. A non-final line that
// finds the queue full drops the client.
func (s *session) enqueue(line []byte, final bool, reason CloseReason, async bool) bool {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return false
	}
	if !final && len(s.queue) >= s.h.cfg.SendQueue {
		s.closed = true
		s.queue = nil
		s.mu.Unlock()
		s.dropSlow()
		return false
	}
	s.queue = append(s.queue, line)
	if final {
		s.closing, s.reason = true, reason
	}
	if s.flushing {
		s.mu.Unlock()
		return false
	}
	s.flushing = true
	if async {
		s.writers.Add(1)
	}
	s.mu.Unlock()
	return true
}

// flush writes the queue out until it is empty, in batches (one writev on
// TCP), then closes the transport if a farewell was among them.
func (s *session) flush() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil // an idle connection keeps no queue array
		if len(batch) == 0 {
			s.flushing = false
			closeNow := s.closing && !s.closed
			if closeNow {
				s.closed = true
			}
			reason := s.reason
			s.mu.Unlock()
			if closeNow {
				s.t.Close(reason)
			}
			return
		}
		s.mu.Unlock()
		if err := s.t.WriteMessages(batch); err != nil {
			s.mu.Lock()
			s.flushing = false
			already := s.closed
			s.closed, s.queue = true, nil
			s.mu.Unlock()
			if !already {
				s.t.CloseNow()
				s.h.log.LogAttrs(context.Background(), slog.LevelInfo, "sync client dropped: write failed",
					slog.String("connection_id", s.id), slog.String("user_id", s.who.UserID), slog.Any("err", err))
			}
			return
		}
	}
}

// dropSlow disconnects a client whose queue is full. It runs on the pusher's
// goroutine, which must not wait: closing happens on a goroutine of its own.
func (s *session) dropSlow() {
	s.h.metrics.FanoutDropped.Inc()
	s.h.log.LogAttrs(context.Background(), slog.LevelWarn, "sync client dropped: outbound queue full",
		slog.String("connection_id", s.id), slog.String("user_id", s.who.UserID),
		slog.Int("queue", s.h.cfg.SendQueue))
	go s.t.CloseNow()
}
