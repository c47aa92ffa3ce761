package protocol

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// maxServerLine bounds what LineClient accepts from a server. Replies such as
// progress_list are not bound by the 64 KiB request limit.
const maxServerLine = 16 << 20

// LineClient is a small client of the TCP protocol, for tests and the load
// tool. Send may be called concurrently with Receive; Receive is for one
// goroutine at a time.
type LineClient struct {
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex
}

// NewLineClient wraps an open TCP connection.
func NewLineClient(conn net.Conn) *LineClient {
	return &LineClient{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
}

// DialLine connects to a TCP sync server.
func DialLine(addr string, timeout time.Duration) (*LineClient, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return NewLineClient(conn), nil
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

// SendRaw writes b as it is; the caller supplies any newline.
func (c *LineClient) SendRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(b)
	return err
}

// Receive reads the next server message, waiting at most timeout (no limit
// when zero).
func (c *LineClient) Receive(timeout time.Duration) (ServerMessage, error) {
	var m ServerMessage
	line, err := c.ReceiveRaw(timeout)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(line, &m); err != nil {
		return m, fmt.Errorf("server sent a malformed line %q: %w", line, err)
	}
	return m, nil
}

// ReceiveRaw reads the next line without its newline.
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

// Authenticate reads the greeting, sends token and returns auth_ok. A
// refusal is returned as a *mangahub.Error with the server's code.
func (c *LineClient) Authenticate(token string, timeout time.Duration) (ServerMessage, error) {
	m, err := c.Receive(timeout)
	if err != nil {
		return m, err
	}
	if m.Type != TypeAuthRequired {
		return m, fmt.Errorf("expected %s, got %s", TypeAuthRequired, m.Type)
	}
	if err := c.Send(AuthMessage{Type: TypeAuth, Token: token}); err != nil {
		return m, err
	}
	if m, err = c.Receive(timeout); err != nil {
		return m, err
	}
	switch m.Type {
	case TypeAuthOK:
		return m, nil
	case TypeError:
		return m, &mangahub.Error{Code: m.Code, Message: m.Message}
	}
	return m, fmt.Errorf("expected %s, got %s", TypeAuthOK, m.Type)
}
