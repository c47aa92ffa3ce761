package wire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// maxServerLine bounds one line read from the server. The 64 KiB limit of
// the contract is for requests; a progress_list reply may be longer.
const maxServerLine = 16 << 20

// LineClient is one TCP sync connection. Send may run concurrently with
// Receive; Receive is for one goroutine at a time.
type LineClient struct {
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex
}

// NewLineClient wraps an open connection. The read buffer is small: a
// worker process holds thousands of these.
func NewLineClient(conn net.Conn) *LineClient {
	return &LineClient{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
}

// Close closes the connection.
func (c *LineClient) Close() error { return c.conn.Close() }

// Send writes v as one JSON line.
func (c *LineClient) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.SendRaw(append(b, '\n'))
}

// SendRaw writes b as it is; the caller ends it with a newline.
func (c *LineClient) SendRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(b)
	return err
}

// Receive reads and decodes the next message, waiting at most timeout (no
// limit when zero).
func (c *LineClient) Receive(timeout time.Duration) (Message, error) {
	var m Message
	line, err := c.ReceiveRaw(timeout)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return m, fmt.Errorf("server sent a malformed line %q: %w", line, err)
	}
	return m, nil
}

// ReceiveRaw reads the next line without its newline, waiting at most
// timeout (no limit when zero).
func (c *LineClient) ReceiveRaw(timeout time.Duration) ([]byte, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	if err := c.conn.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	var line []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil {
			return line[:len(line)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		if len(line) > maxServerLine {
			return nil, fmt.Errorf("server line longer than %d bytes", maxServerLine)
		}
	}
}

// Authenticate does the contract's handshake: it reads auth_required, sends
// auth with token and waits for auth_ok, each read within timeout. A
// refusal is a *ServerError with the server's code. It leaves no read
// deadline behind: the connection lives on.
func (c *LineClient) Authenticate(token string, timeout time.Duration) error {
	m, err := c.Receive(timeout)
	if err != nil {
		return err
	}
	if m.Type != TypeAuthRequired {
		return fmt.Errorf("greeting: got %q, want %s", m.Type, TypeAuthRequired)
	}
	if err := c.Send(Request{Type: TypeAuth, Token: token}); err != nil {
		return err
	}
	if m, err = c.Receive(timeout); err != nil {
		return err
	}
	switch m.Type {
	case TypeAuthOK:
		return c.conn.SetReadDeadline(time.Time{})
	case TypeError:
		return &ServerError{Code: m.Code, Message: m.Message}
	}
	return fmt.Errorf("auth: got %q, want %s", m.Type, TypeAuthOK)
}

// Ping sends ping with id and reports whether its pong came within
// timeout; an error or shutdown message on the way is a failure.
func (c *LineClient) Ping(id string, timeout time.Duration) bool {
	if err := c.Send(Request{Type: TypePing, ID: id}); err != nil {
		return false
	}
	for {
		m, err := c.Receive(timeout)
		if err != nil {
			return false
		}
		switch {
		case m.Type == TypePong && m.ID == id:
			return true
		case m.Type == TypeError || m.Type == TypeShutdown:
			return false
		}
	}
}
