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

// read walks the top-level object of b, which json.Valid has accepted.
func (f *rawFields) read(b []byte) error {
	malformed := mangahub.Errorf(mangahub.CodeInvalidJSON, "message is not valid JSON")
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // the opening brace
		return malformed
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed
		}
		key, ok := tok.(string)
		if !ok {
			return malformed
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return malformed
		}
		slot := f.slot(key)
		if slot == nil {
			continue // unknown keys are ignored, for forward compatibility
		}
		if *slot != nil {
			return mangahub.Errorf(mangahub.CodeInvalidJSON, "key %q appears more than once", key)
		}
		*slot = raw
	}
	return nil
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
