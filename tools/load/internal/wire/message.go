package wire

// Message types of the contract that the load tool sends or reads.
const (
	TypeAuthRequired      = "auth_required"
	TypeAuth              = "auth"
	TypeAuthOK            = "auth_ok"
	TypeError             = "error"
	TypePing              = "ping"
	TypePong              = "pong"
	TypeAck               = "ack"
	TypeProgressBroadcast = "progress_broadcast"
	TypeShutdown          = "shutdown"
)

// Message is the part of a server message the load tool reads.
type Message struct {
	Type    string `json:"type"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Request is a client message without a payload of its own (ping), or
// auth when Token is set.
type Request struct {
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	Token string `json:"token,omitempty"`
}

// ServerError is a refusal the server sent as an error message; Code is the
// contract's error code.
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string { return e.Code + ": " + e.Message }
