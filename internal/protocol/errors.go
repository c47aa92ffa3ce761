package protocol

import "github.com/mangahub/mangahub"

// CodeIdleTimeout is sent, as the last message, to a connection that has
// been silent for the idle timeout. It is a protocol code, not a domain one:
// no request ever fails with it.
const CodeIdleTimeout mangahub.ErrorCode = "idle_timeout"

// closingCodes are the error codes after which the server closes the
// connection (contract §3). Every other code answers one request and leaves
// the connection open. unavailable and internal only close when they answer
// the auth message: without a verified identity there is no session to keep.
var closingCodes = map[mangahub.ErrorCode]bool{
	mangahub.CodeAuthFailed:         true,
	mangahub.CodeTokenExpired:       true,
	mangahub.CodeUnauthenticated:    true,
	mangahub.CodeMessageTooLarge:    true,
	mangahub.CodeTooManyConnections: true,
	CodeIdleTimeout:                 true,
}

// Closes reports whether an error with code ends the connection once it has
// been sent (on an authenticated connection).
func Closes(code mangahub.ErrorCode) bool { return closingCodes[code] }
