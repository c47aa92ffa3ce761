// Package protocol is the sync protocol v1 spoken over TCP (one JSON object
// per line) and WebSocket (one JSON object per text message): the message
// types in both directions, the strict decoder for client messages, the
// encoder for server messages, and the table of which error codes close the
// connection. It knows no sockets; tcpsync and ws frame the bytes, hub runs
// the conversation, and clients (tests, the load tool) reuse the same types.
package protocol

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/mangahub/mangahub"
)

// Version is the protocol version announced in the greeting.
const Version = 1

// MaxMessageBytes is the largest message a client may send: a TCP line
// without its newline, or a WebSocket text message.
const MaxMessageBytes = 64 << 10

// Client → server message types.
const (
	TypeAuth           = "auth"
	TypeProgressUpdate = "progress_update"
	TypeGetProgress    = "get_progress"
	TypeListProgress   = "list_progress"
	TypePing           = "ping"
)

// Server → client message types.
const (
	TypeAuthRequired      = "auth_required"
	TypeAuthOK            = "auth_ok"
	TypeAck               = "ack"
	TypeProgress          = "progress"
	TypeProgressList      = "progress_list"
	TypePong              = "pong"
	TypeProgressBroadcast = "progress_broadcast"
	TypeProgressDeleted   = "progress_deleted"
	TypeShutdown          = "shutdown"
	TypeError             = "error"
)

// Request is a decoded client message. Only the fields of its Type are set.
type Request struct {
	Type string
	// ID is echoed in the reply; empty when the client sent none.
	ID string
	// Token is the access JWT of an auth message.
	Token string
	// MangaID is set for get_progress.
	MangaID int64
	// Update is set for progress_update. The user is never part of it: it
	// comes from the connection's token.
	Update mangahub.ProgressUpdate
}

// Client → server messages, for clients (tests, the load tool) to marshal.
// Type must be set to the matching Type constant.
type (
	// AuthMessage opens a session with an access token.
	AuthMessage struct {
		Type  string `json:"type"`
		ID    string `json:"id,omitempty"`
		Token string `json:"token"`
	}
	// ProgressUpdateMessage records reading progress.
	ProgressUpdateMessage struct {
		Type            string                  `json:"type"`
		ID              string                  `json:"id,omitempty"`
		MangaID         int64                   `json:"manga_id"`
		Chapter         int                     `json:"chapter"`
		Status          *mangahub.ReadingStatus `json:"status,omitempty"`
		LastReadAt      *time.Time              `json:"last_read_at,omitempty"`
		Force           bool                    `json:"force,omitempty"`
		ExpectedVersion *int64                  `json:"expected_version,omitempty"`
	}
	// GetProgressMessage asks for one record.
	GetProgressMessage struct {
		Type    string `json:"type"`
		ID      string `json:"id,omitempty"`
		MangaID int64  `json:"manga_id"`
	}
	// SimpleMessage is list_progress or ping: a type and an optional id.
	SimpleMessage struct {
		Type string `json:"type"`
		ID   string `json:"id,omitempty"`
	}
)

// Server → client messages. The constructors below set Type.
type (
	// AuthRequired is the greeting.
	AuthRequired struct {
		Type     string `json:"type"`
		Protocol int    `json:"protocol"`
	}
	// AuthOK ends a successful handshake.
	AuthOK struct {
		Type         string `json:"type"`
		ID           string `json:"id,omitempty"`
		UserID       string `json:"user_id"`
		Username     string `json:"username"`
		ConnectionID string `json:"connection_id"`
	}
	// Ack answers progress_update. Reason says why an update was not
	// applied (unchanged or backwards); it is left out when it was.
	Ack struct {
		Type     string             `json:"type"`
		ID       string             `json:"id,omitempty"`
		Applied  bool               `json:"applied"`
		Progress *mangahub.Progress `json:"progress"`
		Reason   mangahub.Reason    `json:"reason,omitempty"`
	}
	// ProgressReply answers get_progress; Progress is null when there is none.
	ProgressReply struct {
		Type     string             `json:"type"`
		ID       string             `json:"id,omitempty"`
		Progress *mangahub.Progress `json:"progress"`
	}
	// ProgressList answers list_progress.
	ProgressList struct {
		Type  string               `json:"type"`
		ID    string               `json:"id,omitempty"`
		Items []*mangahub.Progress `json:"items"`
	}
	// Pong answers ping.
	Pong struct {
		Type string `json:"type"`
		ID   string `json:"id,omitempty"`
	}
	// ProgressBroadcast pushes a change made by another connection (or HTTP).
	ProgressBroadcast struct {
		Type     string             `json:"type"`
		Progress *mangahub.Progress `json:"progress"`
		Source   mangahub.Source    `json:"source"`
	}
	// ProgressDeleted pushes a deletion made elsewhere.
	ProgressDeleted struct {
		Type    string `json:"type"`
		MangaID int64  `json:"manga_id"`
		// Version is the deleted record's: a client holding a later
		// version (a re-create it saw first) knows the push is stale.
		Version int64 `json:"version"`
	}
	// Shutdown announces a graceful close by the server.
	Shutdown struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	// Error reports a failed request or the reason for a close. A conflict
	// always carries progress (see MarshalJSON).
	Error struct {
		Type         string             `json:"type"`
		ID           string             `json:"id,omitempty"`
		Code         mangahub.ErrorCode `json:"code"`
		Message      string             `json:"message"`
		RetryAfterMS int64              `json:"retry_after_ms,omitempty"`
		Progress     *mangahub.Progress `json:"progress,omitempty"`
	}
)

// MarshalJSON writes "progress" on every conflict, as null when the user has
// no record yet (an expected_version given for a record that does not
// exist), the way HTTP's problem does: the contract says a conflict carries
// the current state, and "none" is a state. Other errors leave it out.
func (e Error) MarshalJSON() ([]byte, error) {
	type plain Error // no methods, so no recursion
	var v any = plain(e)
	if e.Code == mangahub.CodeConflict {
		v = struct {
			plain
			Progress *mangahub.Progress `json:"progress"`
		}{plain(e), e.Progress}
	}
	// Marshal's encoder does not escape HTML; neither may this one, or
	// messages would read differently depending on their type.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ServerMessage is any server message, decoded generically by clients.
type ServerMessage struct {
	Type         string               `json:"type"`
	ID           string               `json:"id,omitempty"`
	Protocol     int                  `json:"protocol,omitempty"`
	UserID       string               `json:"user_id,omitempty"`
	Username     string               `json:"username,omitempty"`
	ConnectionID string               `json:"connection_id,omitempty"`
	Applied      bool                 `json:"applied,omitempty"`
	Reason       mangahub.Reason      `json:"reason,omitempty"`
	Progress     *mangahub.Progress   `json:"progress,omitempty"`
	Items        []*mangahub.Progress `json:"items,omitempty"`
	Source       mangahub.Source      `json:"source,omitempty"`
	MangaID      int64                `json:"manga_id,omitempty"`
	Code         mangahub.ErrorCode   `json:"code,omitempty"`
	Message      string               `json:"message,omitempty"`
	RetryAfterMS int64                `json:"retry_after_ms,omitempty"`
}

// NewAck answers a progress_update with what became of it.
func NewAck(id string, r mangahub.ProgressResult) Ack {
	a := Ack{Type: TypeAck, ID: id, Applied: r.Applied, Progress: r.Progress}
	if !r.Applied {
		a.Reason = r.Reason
	}
	return a
}

// NewProgressReply answers a get_progress; p may be nil.
func NewProgressReply(id string, p *mangahub.Progress) ProgressReply {
	return ProgressReply{Type: TypeProgress, ID: id, Progress: p}
}

// NewProgressList answers a list_progress; items is never encoded as null.
func NewProgressList(id string, items []*mangahub.Progress) ProgressList {
	if items == nil {
		items = []*mangahub.Progress{}
	}
	return ProgressList{Type: TypeProgressList, ID: id, Items: items}
}

// NewPong answers a ping.
func NewPong(id string) Pong { return Pong{Type: TypePong, ID: id} }

// NewAuthOK ends a successful handshake.
func NewAuthOK(id string, who mangahub.Identity, connectionID string) AuthOK {
	return AuthOK{Type: TypeAuthOK, ID: id, UserID: who.UserID, Username: who.Username, ConnectionID: connectionID}
}

// NewShutdown announces a graceful close.
func NewShutdown(message string) Shutdown { return Shutdown{Type: TypeShutdown, Message: message} }

// EventMessage is the push for a bus event, or nil for an event type the
// protocol does not carry.
func EventMessage(ev mangahub.Event) any {
	switch ev.Type {
	case mangahub.EventProgressUpdated:
		return ProgressBroadcast{Type: TypeProgressBroadcast, Progress: ev.Progress, Source: ev.Origin.Source}
	case mangahub.EventProgressDeleted:
		msg := ProgressDeleted{Type: TypeProgressDeleted, MangaID: ev.MangaID}
		if ev.Progress != nil {
			msg.Version = ev.Progress.Version
		}
		return msg
	}
	return nil
}

// NewError turns err into the error message answering request id. The
// message is always client safe: internal causes are never shown.
func NewError(id string, err error) Error {
	e := mangahub.AsError(err)
	msg := Error{Type: TypeError, ID: id, Code: e.Code, Message: mangahub.ErrorMessageOf(err)}
	if e.Code == mangahub.CodeRateLimited {
		msg.RetryAfterMS = retryAfterMS(e.RetryAfter)
	}
	if e.Code == mangahub.CodeConflict {
		msg.Progress = e.Progress
	}
	return msg
}

// retryAfterMS rounds up, so that a client waiting that long finds a token.
func retryAfterMS(d time.Duration) int64 {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return ms
}
