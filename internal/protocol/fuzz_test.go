package protocol_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// FuzzDecode feeds arbitrary bytes to the decoder. `go test` runs the seeds
// here and in testdata/fuzz/FuzzDecode; `go test -fuzz=FuzzDecode` explores.
// Whatever the input, Decode must not panic, must answer with a known type
// or one of the decoder's own error codes, and a request it accepts must
// survive being encoded by a client and decoded again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.e30.sig"}`,
		`{"type":"progress_update","id":"1","manga_id":1,"chapter":10,"status":"reading","last_read_at":"2024-01-02T03:04:05Z","force":false,"expected_version":2}`,
		`{"type":"get_progress","manga_id":3}`,
		`{"type":"list_progress","id":"x"}`,
		`{"type":"ping"}`,
		`[]`,
		`{"type":"ping","type":"ping"}`,
		"{\"type\":\"ping\",\"id\":\"\xc3\x28\"}",
		`{"type":"progress_update","manga_id":1e3,"chapter":-0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := protocol.Decode(in)
		if err != nil {
			e, ok := err.(*mangahub.Error)
			if !ok {
				t.Fatalf("Decode error %T %v is not a *mangahub.Error", err, err)
			}
			switch e.Code {
			case mangahub.CodeInvalidJSON, mangahub.CodeUnknownType, mangahub.CodeValidation, mangahub.CodeMessageTooLarge:
			default:
				t.Fatalf("Decode error code %s", e.Code)
			}
			if e.Message == "" {
				t.Fatal("error without a message")
			}
			if !utf8.Valid(in) && e.Code != mangahub.CodeInvalidJSON && e.Code != mangahub.CodeMessageTooLarge {
				t.Fatalf("invalid UTF-8 gave %s, want invalid_json", e.Code)
			}
			return
		}
		if !utf8.Valid(in) {
			t.Fatalf("invalid UTF-8 accepted as %+v", req)
		}
		again, err := protocol.Decode(clientEncoding(t, req))
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", req, err)
		}
		if !sameRequest(req, again) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", req, again)
		}
	})
}

// clientEncoding is how a client would send req.
func clientEncoding(t *testing.T, req protocol.Request) []byte {
	t.Helper()
	var v any
	switch req.Type {
	case protocol.TypeAuth:
		v = protocol.AuthMessage{Type: req.Type, ID: req.ID, Token: req.Token}
	case protocol.TypeProgressUpdate:
		u := req.Update
		v = protocol.ProgressUpdateMessage{Type: req.Type, ID: req.ID, MangaID: u.MangaID, Chapter: u.Chapter,
			Status: u.Status, LastReadAt: u.LastReadAt, Force: u.Force, ExpectedVersion: u.ExpectedVersion}
	case protocol.TypeGetProgress:
		v = protocol.GetProgressMessage{Type: req.Type, ID: req.ID, MangaID: req.MangaID}
	case protocol.TypeListProgress, protocol.TypePing:
		v = protocol.SimpleMessage{Type: req.Type, ID: req.ID}
	default:
		t.Fatalf("Decode accepted unknown type %q", req.Type)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Skipf("not encodable by a client: %v", err)
	}
	return b
}
