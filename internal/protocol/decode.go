package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
)

// Decode parses one client message (a TCP line without its newline, or a
// WebSocket text message). Any input yields either a Request with a known
// Type or a *mangahub.Error with code invalid_json (not UTF-8, malformed, not
// an object, a key given twice), unknown_type, validation_failed (a field of
// the wrong JSON type, a required field missing) or message_too_large. On
// error the Request still carries the id when one could be read, so that the
// error reply can echo it, and the Type when it is known and only another
// field is wrong.
//
// Decode checks shapes only. Whether a chapter is in range or a status is
// known are progress rules, and they live in package progress.
func Decode(b []byte) (Request, error) {
	if len(b) > MaxMessageBytes {
		return Request{}, mangahub.Errorf(mangahub.CodeMessageTooLarge, "message exceeds %d bytes", MaxMessageBytes)
	}
	// encoding/json would silently replace invalid UTF-8 inside strings;
	// the protocol is UTF-8, so such input is malformed.
	if !utf8.Valid(b) {
		return Request{}, mangahub.Errorf(mangahub.CodeInvalidJSON, "message is not valid UTF-8")
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		if json.Valid(b) {
			return Request{}, mangahub.Errorf(mangahub.CodeInvalidJSON, "message must be a JSON object")
		}
		return Request{}, mangahub.Errorf(mangahub.CodeInvalidJSON, "message is not valid JSON")
	}
	var f rawFields
	if err := f.read(b); err != nil {
		return Request{}, err
	}
	return f.request()
}

// rawFields holds the top-level values of the known keys, still encoded.
// encoding/json's struct decoding matches keys case-insensitively and lets a
// later duplicate win; walking the tokens keeps keys exact and refuses
// duplicates, so {"type":"ping","Type":"auth"} cannot mean two things.
type rawFields struct {
	typ, id, token, mangaID, chapter, status, lastReadAt, force, expectedVersion json.RawMessage
}

func (f *rawFields) slot(key string) *json.RawMessage {
	switch key {
	case "type":
		return &f.typ
	case "id":
		return &f.id
	case "token":
		return &f.token
	case "manga_id":
		return &f.mangaID
	case "chapter":
		return &f.chapter
	case "status":
		return &f.status
	case "last_read_at":
		return &f.lastReadAt
	case "force":
		return &f.force
	case "expected_version":
		return &f.expectedVersion
	}
	return nil
}

// read walks the top-level object of b, which json.Valid has accepted, so
// the walk only has to find where each key and value ends. (A token-by-token
// encoding/json.Decoder did the same with several allocations per value; this
// runs for every message of every connection.)
func (f *rawFields) read(b []byte) error {
	i := skipSpace(b, 1) // past the opening brace
	for i < len(b) && b[i] != '}' {
		keyEnd := stringEnd(b, i)
		key, err := unquoteKey(b[i:keyEnd])
		if err != nil {
			return mangahub.Errorf(mangahub.CodeInvalidJSON, "message is not valid JSON")
		}
		i = skipSpace(b, skipSpace(b, keyEnd)+1) // past the colon
		valEnd := valueEnd(b, i)
		if slot := f.slot(key); slot != nil { // unknown keys are ignored, for forward compatibility
			if *slot != nil {
				return mangahub.Errorf(mangahub.CodeInvalidJSON, "key %s appears more than once", quoteShort(key))
			}
			*slot = b[i:valEnd]
		}
		i = skipSpace(b, valEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // the escaped character cannot end the string
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++ // a number, true, false or null
	}
	return i
}

// unquoteKey decodes a quoted key; only keys with escapes need the decoder.
func unquoteKey(q []byte) (string, error) {
	if bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1]), nil
	}
	var k string
	err := json.Unmarshal(q, &k)
	return k, err
}

func (f *rawFields) request() (Request, error) {
	var r Request
	id, err := optString("id", f.id)
	if err != nil {
		return r, err
	}
	r.ID = id
	typ, err := optString("type", f.typ)
	if err != nil {
		return r, err
	}
	if typ == "" {
		return r, mangahub.FieldError("type", "is required")
	}
	switch typ {
	case TypeAuth, TypeProgressUpdate, TypeGetProgress, TypeListProgress, TypePing:
		r.Type = typ
	default:
		return r, mangahub.Errorf(mangahub.CodeUnknownType, "unknown message type %s", quoteShort(typ))
	}
	switch typ {
	case TypeAuth:
		r.Token, err = optString("token", f.token)
		if err == nil && r.Token == "" {
			err = mangahub.FieldError("token", "is required")
		}
	case TypeProgressUpdate:
		err = f.update(&r.Update)
	case TypeGetProgress:
		r.MangaID, err = reqInt("manga_id", f.mangaID, 64)
	}
	return r, err
}

func (f *rawFields) update(u *mangahub.ProgressUpdate) error {
	var err error
	if u.MangaID, err = reqInt("manga_id", f.mangaID, 64); err != nil {
		return err
	}
	chapter, err := reqInt("chapter", f.chapter, strconv.IntSize)
	if err != nil {
		return err
	}
	u.Chapter = int(chapter)
	if isAbsent(f.status) {
		u.Status = nil
	} else {
		s, err := optString("status", f.status)
		if err != nil {
			return err
		}
		st := mangahub.ReadingStatus(s)
		u.Status = &st
	}
	if !isAbsent(f.lastReadAt) {
		s, err := optString("last_read_at", f.lastReadAt)
		if err != nil {
			return err
		}
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return mangahub.FieldError("last_read_at", "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z")
		}
		u.LastReadAt = &t
	}
	if !isAbsent(f.force) {
		switch string(f.force) {
		case "true":
			u.Force = true
		case "false":
		default:
			return mangahub.FieldError("force", "must be true or false")
		}
	}
	if !isAbsent(f.expectedVersion) {
		v, err := reqInt("expected_version", f.expectedVersion, 64)
		if err != nil {
			return err
		}
		u.ExpectedVersion = &v
	}
	return nil
}

// isAbsent treats a missing key and an explicit null alike.
func isAbsent(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// optString decodes a string field; absent or null gives "".
func optString(field string, raw json.RawMessage) (string, error) {
	if isAbsent(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", mangahub.FieldError(field, "must be a string")
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil // nothing to unescape
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", mangahub.FieldError(field, "must be a string")
	}
	return s, nil
}

// reqInt decodes a required integer field that fits in bits bits. JSON
// numbers with a fraction or an exponent are refused, not rounded.
func reqInt(field string, raw json.RawMessage, bits int) (int64, error) {
	if isAbsent(raw) {
		return 0, mangahub.FieldError(field, "is required")
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil {
		return 0, mangahub.FieldError(field, "must be an integer")
	}
	return n, nil
}

// quoteShort quotes a client-chosen string for an error message, cut short
// so that a 60 KiB type name is not echoed back in full.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return strconv.Quote(s)
}
