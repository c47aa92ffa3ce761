package hub_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
)

// fakeTransport is an in-memory Transport: the test feeds messages in and
// reads what the hub wrote.
type fakeTransport struct {
	in  chan []byte
	out chan []byte
	// gate, when set, blocks every write until it is closed.
	gate chan struct{}

	once     sync.Once
	closed   chan struct{}
	reason   atomic.Int32
	closeNow atomic.Bool
}

func newFakeTransport() *fakeTransport {
	return &fakeTransport{in: make(chan []byte, 16), out: make(chan []byte, 1024), closed: make(chan struct{})}
}

func (f *fakeTransport) Source() mangahub.Source { return mangahub.SourceTCP }
func (f *fakeTransport) RemoteAddr() string      { return "fake" }

func (f *fakeTransport) ReadMessage(deadline time.Time) ([]byte, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case m := <-f.in:
		return m, nil
	case <-f.closed:
		return nil, hub.ErrReadTimeout // whatever: the hub must not care
	case <-timer.C:
		return nil, hub.ErrReadTimeout
	}
}

func (f *fakeTransport) WriteMessages(msgs [][]byte) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-f.closed:
			return context.Canceled
		}
	}
	for _, m := range msgs {
		select {
		case f.out <- m:
		case <-f.closed:
			return context.Canceled
		}
	}
	return nil
}

func (f *fakeTransport) Close(r hub.CloseReason) {
	f.reason.Store(int32(r))
	f.once.Do(func() { close(f.closed) })
}

func (f *fakeTransport) CloseNow() {
	f.closeNow.Store(true)
	f.once.Do(func() { close(f.closed) })
}

// fakeAuth accepts "token-<user>".
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, tok string) (mangahub.Identity, error) {
	user, ok := strings.CutPrefix(tok, "token-")
	if !ok {
		return mangahub.Identity{}, mangahub.Errorf(mangahub.CodeInvalidToken, "invalid")
	}
	return mangahub.Identity{UserID: user, Username: user, Role: mangahub.RoleUser}, nil
}

// fakeProgress applies every update; Update waits for release when set.
type fakeProgress struct {
	bus     mangahub.Bus
	entered chan struct{}
	release chan struct{}
}

func (p *fakeProgress) Update(ctx context.Context, userID string, origin mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error) {
	if p.entered != nil {
		p.entered <- struct{}{}
		<-p.release
	}
	pr := &mangahub.Progress{UserID: userID, MangaID: upd.MangaID, Chapter: upd.Chapter, Status: mangahub.StatusReading, Version: 1}
	p.bus.Publish(ctx, mangahub.Event{Type: mangahub.EventProgressUpdated, UserID: userID, MangaID: upd.MangaID, Progress: pr, Origin: origin})
	return mangahub.ProgressResult{Progress: pr, Applied: true}, nil
}

func (p *fakeProgress) Get(context.Context, string, int64) (*mangahub.Progress, error) {
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "none")
}

func (p *fakeProgress) List(context.Context, mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	return nil, 0, nil
}

func (p *fakeProgress) Delete(context.Context, string, mangahub.Origin, int64) error { return nil }
