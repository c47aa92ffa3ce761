package protocol_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/protocol"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		code  mangahub.ErrorCode
		id    string
		typ   string
		field string
	}{
		{"garbage", "\x00\x01garbage", mangahub.CodeInvalidJSON, "", "", ""},
		{"invalid utf-8 in string", "{\"type\":\"ping\",\"id\":\"\xff\xfe\"}", mangahub.CodeInvalidJSON, "", "", ""},
		{"array", `[{"type":"ping"}]`, mangahub.CodeInvalidJSON, "", "", ""},
		{"string", `"ping"`, mangahub.CodeInvalidJSON, "", "", ""},
		{"number", `42`, mangahub.CodeInvalidJSON, "", "", ""},
		{"null", `null`, mangahub.CodeInvalidJSON, "", "", ""},
		{"empty", ``, mangahub.CodeInvalidJSON, "", "", ""},
		{"truncated", `{"type":"ping"`, mangahub.CodeInvalidJSON, "", "", ""},
		{"trailing data", `{"type":"ping"} {"type":"ping"}`, mangahub.CodeInvalidJSON, "", "", ""},
		{"duplicate key", `{"type":"ping","type":"auth"}`, mangahub.CodeInvalidJSON, "", "", ""},
		{"missing type", `{"id":"1"}`, mangahub.CodeValidation, "1", "", "type"},
		{"numeric type", `{"type":7,"id":"1"}`, mangahub.CodeValidation, "1", "", "type"},
		{"unknown type", `{"type":"subscribe","id":"x"}`, mangahub.CodeUnknownType, "x", "", ""},
		{"type is case-sensitive", `{"type":"PING"}`, mangahub.CodeUnknownType, "", "", ""},
		{"key is case-sensitive", `{"Type":"ping"}`, mangahub.CodeValidation, "", "", "type"},
		{"numeric id", `{"type":"ping","id":5}`, mangahub.CodeValidation, "", "", "id"},
		{"auth without token", `{"type":"auth","id":"a"}`, mangahub.CodeValidation, "a", protocol.TypeAuth, "token"},
		{"auth numeric token", `{"type":"auth","token":1}`, mangahub.CodeValidation, "", protocol.TypeAuth, "token"},
		{"update missing manga_id", `{"type":"progress_update","chapter":1}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "manga_id"},
		{"update null manga_id", `{"type":"progress_update","manga_id":null,"chapter":1}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "manga_id"},
		{"update string manga_id", `{"type":"progress_update","manga_id":"1","chapter":1}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "manga_id"},
		{"update fractional chapter", `{"type":"progress_update","manga_id":1,"chapter":1.5}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "chapter"},
		{"update exponent chapter", `{"type":"progress_update","manga_id":1,"chapter":1e2}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "chapter"},
		{"update huge manga_id", `{"type":"progress_update","manga_id":99999999999999999999,"chapter":1}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "manga_id"},
		{"update missing chapter", `{"type":"progress_update","manga_id":1}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "chapter"},
		{"update numeric status", `{"type":"progress_update","manga_id":1,"chapter":1,"status":3}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "status"},
		{"update bad time", `{"type":"progress_update","manga_id":1,"chapter":1,"last_read_at":"yesterday"}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "last_read_at"},
		{"update string force", `{"type":"progress_update","manga_id":1,"chapter":1,"force":"yes"}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "force"},
		{"update string version", `{"type":"progress_update","manga_id":1,"chapter":1,"expected_version":"2"}`, mangahub.CodeValidation, "", protocol.TypeProgressUpdate, "expected_version"},
		{"get missing manga_id", `{"type":"get_progress","id":"g"}`, mangahub.CodeValidation, "g", protocol.TypeGetProgress, "manga_id"},
		{"too large", `{"type":"ping","pad":"` + strings.Repeat("x", protocol.MaxMessageBytes) + `"}`, mangahub.CodeMessageTooLarge, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := protocol.Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, want error %s", tt.in, req, tt.code)
			}
			e := mangahub.AsError(err)
			if e.Code != tt.code {
				t.Fatalf("code = %s (%s), want %s", e.Code, e.Message, tt.code)
			}
			if req.ID != tt.id {
				t.Errorf("id = %q, want %q", req.ID, tt.id)
			}
			if req.Type != tt.typ {
				t.Errorf("type = %q, want %q", req.Type, tt.typ)
			}
			if e.Field != tt.field {
				t.Errorf("field = %q, want %q", e.Field, tt.field)
			}
		})
	}
}

func TestDecodeRequests(t *testing.T) {
	reading := mangahub.StatusCompleted
	at := time.Date(2024, 5, 1, 12, 30, 0, 500, time.UTC)
	v := int64(3)
	tests := []struct {
		name string
		in   string
		want protocol.Request
	}{
		{"auth", `{"type":"auth","token":"abc.def.ghi","id":"1"}`, protocol.Request{Type: "auth", ID: "1", Token: "abc.def.ghi"}},
		{"ping without id", ` {"type":"ping"} `, protocol.Request{Type: "ping"}},
		{"list with unknown extra key", `{"type":"list_progress","id":"l","extra":{"a":[1,2]}}`, protocol.Request{Type: "list_progress", ID: "l"}},
		{"get", `{"type":"get_progress","manga_id":42}`, protocol.Request{Type: "get_progress", MangaID: 42}},
		{"update minimal", `{"type":"progress_update","manga_id":7,"chapter":0}`,
			protocol.Request{Type: "progress_update", Update: mangahub.ProgressUpdate{MangaID: 7}}},
		{"update nulls are absent", `{"type":"progress_update","manga_id":7,"chapter":2,"status":null,"last_read_at":null,"force":null,"expected_version":null}`,
			protocol.Request{Type: "progress_update", Update: mangahub.ProgressUpdate{MangaID: 7, Chapter: 2}}},
		{"update full", `{"type":"progress_update","id":"u1","manga_id":7,"chapter":12,"status":"completed","last_read_at":"2024-05-01T12:30:00.0000005Z","force":true,"expected_version":3}`,
			protocol.Request{Type: "progress_update", ID: "u1", Update: mangahub.ProgressUpdate{MangaID: 7, Chapter: 12, Status: &reading, LastReadAt: &at, Force: true, ExpectedVersion: &v}}},
		{"negative chapter is a rule, not a shape", `{"type":"progress_update","manga_id":7,"chapter":-1}`,
			protocol.Request{Type: "progress_update", Update: mangahub.ProgressUpdate{MangaID: 7, Chapter: -1}}},
		{"escaped strings", `{"type":"auth","token":"a\u0062c"}`, protocol.Request{Type: "auth", Token: "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := protocol.Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !sameRequest(got, tt.want) {
				t.Fatalf("Decode = %+v\nwant     %+v", got, tt.want)
			}
		})
	}
}

func sameRequest(a, b protocol.Request) bool {
	if a.Type != b.Type || a.ID != b.ID || a.Token != b.Token || a.MangaID != b.MangaID {
		return false
	}
	u, w := a.Update, b.Update
	if u.MangaID != w.MangaID || u.Chapter != w.Chapter || u.Force != w.Force {
		return false
	}
	if (u.Status == nil) != (w.Status == nil) || u.Status != nil && *u.Status != *w.Status {
		return false
	}
	if (u.LastReadAt == nil) != (w.LastReadAt == nil) || u.LastReadAt != nil && !u.LastReadAt.Equal(*w.LastReadAt) {
		return false
	}
	if (u.ExpectedVersion == nil) != (w.ExpectedVersion == nil) || u.ExpectedVersion != nil && *u.ExpectedVersion != *w.ExpectedVersion {
		return false
	}
	return true
}

func TestClosingCodes(t *testing.T) {
	closing := []mangahub.ErrorCode{
		mangahub.CodeAuthFailed, mangahub.CodeTokenExpired, mangahub.CodeUnauthenticated,
		mangahub.CodeMessageTooLarge, mangahub.CodeTooManyConnections, protocol.CodeIdleTimeout,
	}
	open := []mangahub.ErrorCode{
		mangahub.CodeInvalidJSON, mangahub.CodeUnknownType, mangahub.CodeValidation, mangahub.CodeNotFound,
		mangahub.CodeMangaNotFound, mangahub.CodeConflict, mangahub.CodeRateLimited,
	}
	for _, c := range closing {
		if !protocol.Closes(c) {
			t.Errorf("Closes(%s) = false, want true", c)
		}
	}
	for _, c := range open {
		if protocol.Closes(c) {
			t.Errorf("Closes(%s) = true, want false", c)
		}
	}
}

func TestNewError(t *testing.T) {
	p := &mangahub.Progress{MangaID: 1, Version: 4}
	tests := []struct {
		name string
		err  error
		want protocol.Error
	}{
		{"rate limited rounds up", &mangahub.Error{Code: mangahub.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Microsecond},
			protocol.Error{Type: "error", ID: "r", Code: mangahub.CodeRateLimited, Message: "slow down", RetryAfterMS: 2}},
		{"conflict carries progress", &mangahub.Error{Code: mangahub.CodeConflict, Message: "stale", Progress: p},
			protocol.Error{Type: "error", ID: "r", Code: mangahub.CodeConflict, Message: "stale", Progress: p}},
		{"internal hides its cause", mangahub.Internal(errEx("SELECT * FROM secrets")),
			protocol.Error{Type: "error", ID: "r", Code: mangahub.CodeInternal, Message: "internal error"}},
		{"plain error is internal", errEx("driver: connection refused"),
			protocol.Error{Type: "error", ID: "r", Code: mangahub.CodeInternal, Message: "internal error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := protocol.NewError("r", tt.err); got != tt.want {
				t.Fatalf("NewError = %+v, want %+v", got, tt.want)
			}
		})
	}
}

type errEx string

func (e errEx) Error() string { return string(e) }

func TestMarshalEndsWithNewline(t *testing.T) {
	line := protocol.Marshal(protocol.NewProgressList("x", nil))
	if got, want := string(line), `{"type":"progress_list","id":"x","items":[]}`+"\n"; got != want {
		t.Fatalf("Marshal = %q, want %q", got, want)
	}
	if got, want := string(protocol.Greeting), `{"type":"auth_required","protocol":1}`+"\n"; got != want {
		t.Fatalf("Greeting = %q, want %q", got, want)
	}
}

// TestErrorProgressField: a conflict always carries progress, as null when
// there is no record (CONTRACT.md §3); other errors never do.
func TestErrorProgressField(t *testing.T) {
	p := &mangahub.Progress{UserID: "u", MangaID: 1, Chapter: 2, Status: mangahub.StatusReading, Version: 4}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"conflict without a record", &mangahub.Error{Code: mangahub.CodeConflict, Message: "stale"},
			`{"type":"error","id":"r","code":"conflict","message":"stale","progress":null}`},
		{"conflict with a record", &mangahub.Error{Code: mangahub.CodeConflict, Message: "stale", Progress: p},
			`{"type":"error","id":"r","code":"conflict","message":"stale","progress":{"user_id":"u","manga_id":1,"chapter":2,"status":"reading","last_read_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","version":4}}`},
		{"other errors have none", mangahub.Errorf(mangahub.CodeUnauthenticated, "send <auth> & wait"),
			`{"type":"error","id":"r","code":"unauthenticated","message":"send <auth> & wait"}`},
		{"rate limited", &mangahub.Error{Code: mangahub.CodeRateLimited, Message: "slow down", RetryAfter: time.Second},
			`{"type":"error","id":"r","code":"rate_limited","message":"slow down","retry_after_ms":1000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(protocol.Marshal(protocol.NewError("r", tt.err))); got != tt.want+"\n" {
				t.Fatalf("Marshal = %s\nwant       %s", got, tt.want)
			}
		})
	}
}

// The top-level walk finds each value's end whatever it holds, so unknown
// nested values and odd spacing never shift the known fields.
func TestDecodeWalksAnyLayout(t *testing.T) {
	tests := []struct {
		in   string
		want protocol.Request
		code mangahub.ErrorCode
	}{
		{in: " { \"type\" : \"progress_update\" ,\r\n \"extra\" : {\"a\":[1,{\"b\":\"}],\\\"\"}],\"c\":null} , \"manga_id\" : 3 ,\t\"chapter\":4, \"id\":\"x\" } ",
			want: protocol.Request{Type: protocol.TypeProgressUpdate, ID: "x", Update: mangahub.ProgressUpdate{MangaID: 3, Chapter: 4}}},
		{in: `{"typ\u0065":"ping","i\u0064":"\u00e9"}`, want: protocol.Request{Type: protocol.TypePing, ID: "é"}},
		{in: `{"list":[[],[[]],{}],"type":"list_progress"}`, want: protocol.Request{Type: protocol.TypeListProgress}},
		{in: `{}`, code: mangahub.CodeValidation},
		{in: `{"type":"ping","typ\u0065":"ping"}`, code: mangahub.CodeInvalidJSON},
		{in: `{"type":"get_progress","manga_id":-0,"x":true}`, want: protocol.Request{Type: protocol.TypeGetProgress}},
	}
	for _, tt := range tests {
		got, err := protocol.Decode([]byte(tt.in))
		if code := mangahub.ErrorCodeOf(err); code != tt.code {
			t.Errorf("Decode(%s): code %q (%v), want %q", tt.in, code, err, tt.code)
			continue
		}
		if tt.code == "" && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestAckReason: an ack that applied nothing says why; an applied one
// carries no reason (CONTRACT.md §3, "reason as in HTTP").
func TestAckReason(t *testing.T) {
	p := &mangahub.Progress{UserID: "u", MangaID: 1, Chapter: 2, Status: mangahub.StatusReading, Version: 4}
	tests := []struct {
		name string
		r    mangahub.ProgressResult
		want string
	}{
		{"applied", mangahub.ProgressResult{Progress: p, Applied: true}, `"applied":true,"progress":{`},
		{"backwards", mangahub.ProgressResult{Progress: p, Reason: mangahub.ReasonBackwards}, `"applied":false,"progress":{`},
		{"unchanged", mangahub.ProgressResult{Progress: p, Reason: mangahub.ReasonUnchanged}, `"applied":false,"progress":{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := string(protocol.Marshal(protocol.NewAck("a", tt.r)))
			if !strings.HasPrefix(line, `{"type":"ack","id":"a",`+tt.want) {
				t.Errorf("ack = %s", line)
			}
			reason := `"reason":"` + string(tt.r.Reason) + `"`
			if tt.r.Applied && strings.Contains(line, `"reason"`) || !tt.r.Applied && !strings.HasSuffix(line, ","+reason+"}\n") {
				t.Errorf("ack = %s, want reason %q only when not applied", line, tt.r.Reason)
			}
		})
	}
}
