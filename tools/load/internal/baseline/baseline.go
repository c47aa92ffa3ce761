// Package baseline is the yardstick of the idle-connection measurements: the
// textbook goroutine-per-connection line server, with a 4 KiB bufio.Reader,
// a 4 KiB bufio.Writer and a writer goroutine per connection, speaking just
// enough of the sync protocol (greeting, auth → auth_ok, ping → pong) for
// the load tool's clients. It checks no token: it stands for the memory
// shape of a straightforward design, not for MangaHub's work.
package baseline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// Buffer sizes of every connection, as a typical implementation picks them.
const (
	ReadBufferSize  = 4 << 10
	WriteBufferSize = 4 << 10
	// queueLen is the writer goroutine's channel capacity.
	queueLen = 16
	// maxLine is the protocol's message limit.
	maxLine = 64 << 10
)

var greeting = []byte(`{"type":"auth_required","protocol":1}` + "\n")

// Server accepts connections until its listener is closed.
type Server struct {
	seq    atomic.Uint64
	active atomic.Int64
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// New returns a server.
func New() *Server { return &Server{conns: make(map[net.Conn]struct{})} }

// Active is the number of open connections.
func (s *Server) Active() int { return int(s.active.Load()) }

// Serve accepts on ln until it is closed, then closes every connection and
// waits for their goroutines.
func (s *Server) Serve(ln net.Listener) error {
	defer s.closeAll()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				continue
			}
			return err
		}
		s.track(c, true)
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) track(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
		s.active.Add(1)
	} else {
		delete(s.conns, c)
		s.active.Add(-1)
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serve is the reader goroutine of one connection; it owns the writer.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer s.track(c, false)
	out := make(chan []byte, queueLen)
	writerDone := make(chan struct{})
	go writeLoop(c, out, writerDone)
	defer func() {
		close(out)
		<-writerDone
		c.Close()
	}()

	out <- greeting
	r := bufio.NewReaderSize(c, ReadBufferSize)
	authed := false
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		msg, closeAfter := answer(&s.seq, &authed, line)
		out <- append(msg, '\n')
		if closeAfter {
			return
		}
	}
}

// answer is the baseline protocol, shared by the TCP and WebSocket
// servers: the reply to one message (without a line end) and whether the
// connection ends after it. authed is the connection's state; seq numbers
// the connections.
func answer(seq *atomic.Uint64, authed *bool, line []byte) (msg []byte, closeAfter bool) {
	var m struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if json.Unmarshal(line, &m) != nil {
		return []byte(`{"type":"error","code":"invalid_json","message":"message is not valid JSON"}`), !*authed
	}
	switch {
	case !*authed && m.Type == "auth" && m.Token != "":
		*authed = true
		n := seq.Add(1)
		return reply(`{"type":"auth_ok"`, m.ID, `,"user_id":"baseline","username":"baseline","connection_id":"b-`+strconv.FormatUint(n, 36)+`"}`), false
	case !*authed:
		return []byte(`{"type":"error","code":"unauthenticated","message":"authenticate first"}`), true
	case m.Type == "ping":
		return reply(`{"type":"pong"`, m.ID, `}`), false
	}
	return reply(`{"type":"error"`, m.ID, `,"code":"unknown_type","message":"not supported by the baseline"}`), false
}

// reply assembles head + optional id + tail.
func reply(head, id, tail string) []byte {
	b := []byte(head)
	if id != "" {
		idJSON, _ := json.Marshal(id)
		b = append(append(b, `,"id":`...), idJSON...)
	}
	return append(b, tail...)
}

// readLine returns the next line without its newline, refusing lines over
// the protocol limit.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+1 {
			return nil, errors.New("line too long")
		}
		line = append(line, chunk...)
		if err == nil {
			return bytes.TrimRight(line, "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// writeLoop is the connection's writer goroutine: it writes what the reader
// queues, flushing when the queue runs dry.
func writeLoop(c net.Conn, out <-chan []byte, done chan<- struct{}) {
	defer close(done)
	w := bufio.NewWriterSize(c, WriteBufferSize)
	failed := false
	for msg := range out {
		if failed {
			continue
		}
		if _, err := w.Write(msg); err != nil {
			failed = true
			continue
		}
		if len(out) == 0 && w.Flush() != nil {
			failed = true
		}
	}
}
