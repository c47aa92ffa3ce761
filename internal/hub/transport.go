package hub

import (
	"errors"
	"time"

	"github.com/mangahub/mangahub"
)

// Transport is one client connection as the hub sees it: whole messages in
// and out, no sockets. tcpsync frames lines, ws frames WebSocket messages;
// everything else about a connection happens in the hub, once.
//
// The hub calls ReadMessage from one goroutine at a time, and WriteMessages
// from one goroutine at a time (not necessarily the same one). Close and
// CloseNow may be called from any goroutine.
type Transport interface {
	// Source names the transport in events, metrics and logs.
	Source() mangahub.Source
	// RemoteAddr is the client's address, for logs.
	RemoteAddr() string
	// ReadMessage returns the next message without its framing; the bytes
	// stay valid until the next call. It returns ErrReadTimeout when
	// deadline passes before a whole message arrived (the connection can
	// still be written to), ErrMessageTooLarge for a message over the
	// transport's limit, and any other error once the connection is gone.
	ReadMessage(deadline time.Time) ([]byte, error)
	// WriteMessages writes msgs in order. Each ends with '\n' (a TCP line;
	// WebSocket drops it). It fails when the client does not take them
	// within the transport's write timeout.
	WriteMessages(msgs [][]byte) error
	// Close ends the connection after what was written, in a bounded time;
	// reason becomes the WebSocket close status.
	Close(reason CloseReason)
	// CloseNow drops the connection at once. It may be called any number of
	// times, concurrently with everything else.
	CloseNow()
}

// CloseReason says why the server ends a connection.
type CloseReason uint8

// Close reasons.
const (
	// CloseNormal: the client went away or the session ended normally.
	CloseNormal CloseReason = iota
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway
	// ClosePolicy: authentication failed or timed out, idle timeout.
	ClosePolicy
	// CloseTooLarge: a message exceeded the size limit.
	CloseTooLarge
	// CloseTryAgainLater: too many connections, or a dependency is down.
	CloseTryAgainLater
	// CloseInternal: a bug.
	CloseInternal
)

// String names the reason in logs.
func (r CloseReason) String() string {
	switch r {
	case CloseNormal:
		return "normal"
	case CloseGoingAway:
		return "going_away"
	case ClosePolicy:
		return "policy"
	case CloseTooLarge:
		return "too_large"
	case CloseTryAgainLater:
		return "try_again_later"
	case CloseInternal:
		return "internal"
	}
	return "unknown"
}

// Errors a Transport returns from ReadMessage.
var (
	ErrReadTimeout     = errors.New("hub: read deadline passed")
	ErrMessageTooLarge = errors.New("hub: message too large")
)
