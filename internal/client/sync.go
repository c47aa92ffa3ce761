package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// handshakeTimeout bounds the greeting and the answer to auth.
const handshakeTimeout = 10 * time.Second

// Push is a message the server sent on a sync connection unasked:
// progress_broadcast (Progress, Source), progress_deleted (MangaID,
// Version), shutdown (Message) or error (Code, Message).
type Push struct {
	Type     string             `json:"type"`
	Progress *mangahub.Progress `json:"progress,omitempty"`
	Source   mangahub.Source    `json:"source,omitempty"`
	MangaID  int64              `json:"manga_id,omitempty"`
	Version  int64              `json:"version,omitempty"`
	Code     mangahub.ErrorCode `json:"code,omitempty"`
	Message  string             `json:"message,omitempty"`
	ID       string             `json:"id,omitempty"`
	// Raw is the message as the server sent it.
	Raw json.RawMessage `json:"-"`
}

// SyncConn is an authenticated TCP sync connection. Next is for one
// goroutine; Ping and Close may be called from any.
type SyncConn struct {
	lc *protocol.LineClient
	// UserID, Username and ConnectionID are from auth_ok.
	UserID, Username, ConnectionID string
}

// DialSync opens a TCP sync connection to addr (host:port) and
// authenticates with the access token, refreshing it first when there is
// none or when the server refuses it.
func (c *Client) DialSync(ctx context.Context, addr string) (*SyncConn, error) {
	access, refresh := c.Tokens()
	if access == "" && refresh != "" {
		if err := c.refreshFrom(ctx, refresh); err != nil {
			return nil, err
		}
		access, refresh = c.Tokens()
	}
	sc, err := dialSync(ctx, addr, access)
	// auth_failed too: a token signed before the server's secret changed is
	// refused as invalid, and a fresh one cures that as well.
	retry := mangahub.IsCode(err, mangahub.CodeTokenExpired) || mangahub.IsCode(err, mangahub.CodeAuthFailed)
	if !retry || refresh == "" {
		return sc, err
	}
	if err := c.refreshFrom(ctx, refresh); err != nil {
		return nil, err
	}
	access, _ = c.Tokens()
	return dialSync(ctx, addr, access)
}

func dialSync(ctx context.Context, addr, token string) (*SyncConn, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, &mangahub.Error{Code: mangahub.CodeUnavailable, Message: "cannot reach the sync server at " + addr, Err: err}
	}
	lc := protocol.NewLineClient(conn)
	ok, err := lc.Authenticate(token, handshakeTimeout)
	if err != nil {
		lc.Close()
		var e *mangahub.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, &mangahub.Error{Code: mangahub.CodeUnavailable, Message: "sync handshake with " + addr + " failed", Err: err}
	}
	return &SyncConn{lc: lc, UserID: ok.UserID, Username: ok.Username, ConnectionID: ok.ConnectionID}, nil
}

// Next waits for the next server message.
func (s *SyncConn) Next() (Push, error) {
	line, err := s.lc.ReceiveRaw(0)
	if err != nil {
		return Push{}, err
	}
	var p Push
	if err := json.Unmarshal(line, &p); err != nil {
		return Push{}, fmt.Errorf("server sent a malformed message %q: %w", line, err)
	}
	p.Raw = append(json.RawMessage(nil), line...)
	return p, nil
}

// Ping sends a ping; the pong arrives through Next.
func (s *SyncConn) Ping(id string) error {
	return s.lc.Send(protocol.SimpleMessage{Type: protocol.TypePing, ID: id})
}

// Close closes the connection; a waiting Next returns.
func (s *SyncConn) Close() error { return s.lc.Close() }

// WatchOptions tunes Watch. Zero values mean the defaults.
type WatchOptions struct {
	// OnPush receives progress_broadcast and progress_deleted messages.
	OnPush func(Push)
	// OnState hears "connected" and "disconnected" (with the cause: the
	// server's shutdown message when it said one) as the connection comes
	// and goes.
	OnState func(state string, err error)
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts (defaults 200 ms and 10 s); it doubles after each failure.
	MinBackoff, MaxBackoff time.Duration
	// PingInterval keeps an otherwise silent connection from reaching the
	// server's idle timeout (default 1 min).
	PingInterval time.Duration
}

// Watch keeps a sync connection to addr until ctx ends and hands every
// change pushed to this user to OnPush. When the server goes away it
// reconnects with capped, jittered exponential backoff, refreshing the access
// token when the server says it expired. It returns nil when ctx ends, and
// an error only when reconnecting cannot help (the session was revoked).
func (c *Client) Watch(ctx context.Context, addr string, o WatchOptions) error {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = time.Minute
	}
	state := func(s string, err error) {
		if o.OnState != nil {
			o.OnState(s, err)
		}
	}
	backoff := o.MinBackoff
	for {
		sc, err := c.DialSync(ctx, addr)
		if err == nil {
			backoff = o.MinBackoff
			state("connected", nil)
			err = c.pump(ctx, sc, o)
		}
		if ctx.Err() != nil {
			return nil
		}
		if permanent(err) {
			return err
		}
		state("disconnected", err)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, o.MaxBackoff)
	}
}

// pump reads one connection until it ends.
func (c *Client) pump(ctx context.Context, sc *SyncConn, o WatchOptions) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(o.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				sc.Close()
				return
			case <-done:
				sc.Close()
				return
			case <-t.C:
				_ = sc.Ping("keepalive")
			}
		}
	}()
	for {
		p, err := sc.Next()
		if err != nil {
			return err
		}
		switch p.Type {
		case protocol.TypeProgressBroadcast, protocol.TypeProgressDeleted:
			if o.OnPush != nil {
				o.OnPush(p)
			}
		case protocol.TypeError:
			if protocol.Closes(p.Code) {
				return &mangahub.Error{Code: p.Code, Message: p.Message}
			}
		case protocol.TypeShutdown:
			// The server closes next; its word says why better than EOF.
			return &mangahub.Error{Code: mangahub.CodeUnavailable, Message: p.Message}
		}
	}
}

// permanent tells the errors that another attempt cannot cure: the refresh
// token is no longer valid, or the account is gone.
func permanent(err error) bool {
	switch mangahub.ErrorCodeOf(err) {
	case mangahub.CodeInvalidToken, mangahub.CodeAuthFailed, mangahub.CodeUnauthenticated, mangahub.CodeInvalidCredentials:
		return true
	}
	return false
}
