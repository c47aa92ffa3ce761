package protocol

import (
	"bytes"
	"encoding/json"
	"sync"
)

var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// internalErrorLine replaces a message that could not be encoded, which only
// a bug can cause.
var internalErrorLine = []byte(`{"type":"error","code":"internal","message":"internal error"}` + "\n")

// Marshal encodes a server message as one line: JSON followed by '\n'. TCP
// sends the line as it is; WebSocket drops the newline. The result is never
// modified afterwards, so one encoding can be shared by every receiver of a
// broadcast.
func Marshal(v any) []byte {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		// Keep only ordinary-sized buffers: one huge progress_list must not
		// pin its memory in the pool.
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return internalErrorLine
	}
	return bytes.Clone(buf.Bytes())
}

// Greeting is the first line the server sends on every connection.
var Greeting = Marshal(AuthRequired{Type: TypeAuthRequired, Protocol: Version})
