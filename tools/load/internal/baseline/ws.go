package baseline

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// WSServer is the textbook WebSocket server of the idle-connection
// measurements: github.com/coder/websocket with its defaults, the handler's
// goroutine reading and a writer goroutine per connection fed by a
// channel, speaking the same subset of the protocol as Server. It serves
// GET /ws, and GET /metrics (the Go runtime's figures, under the names the
// real server uses) so that the load tool reads its heap, stacks and
// goroutines the same way.
type WSServer struct {
	seq    atomic.Uint64
	active atomic.Int64
	wg     sync.WaitGroup
	// ctx ends every connection when cancelled (Close).
	ctx    context.Context
	cancel context.CancelFunc
}

// NewWS returns a WebSocket baseline server.
func NewWS() *WSServer {
	s := &WSServer{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Handler routes /ws and /metrics.
func (s *WSServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /ws", http.HandlerFunc(s.serveWS))
	mux.Handle("GET /metrics", promhttp.Handler())
	return mux
}

// Active is the number of open connections.
func (s *WSServer) Active() int { return int(s.active.Load()) }

// Close ends every connection and waits for their goroutines.
func (s *WSServer) Close() {
	s.cancel()
	s.wg.Wait()
}

// serveWS is the reader of one connection; it owns the writer.
func (s *WSServer) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	s.active.Add(1)
	defer s.active.Add(-1)
	c.SetReadLimit(maxLine) // the protocol's limit; the library's default is 32 KiB
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()

	out := make(chan []byte, queueLen)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for msg := range out {
			if c.Write(ctx, websocket.MessageText, msg) != nil {
				cancel()
				for range out {
				}
				return
			}
		}
	}()
	defer func() {
		close(out)
		<-writerDone
		c.CloseNow()
	}()

	out <- []byte(`{"type":"auth_required","protocol":1}`)
	authed := false
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		msg, closeAfter := answer(&s.seq, &authed, b)
		out <- msg
		if closeAfter {
			return
		}
	}
}
