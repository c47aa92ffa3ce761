package tcpsync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/ratelimit"
	"github.com/mangahub/mangahub/internal/tcpsync"
	"github.com/mangahub/mangahub/internal/testenv"
)

func TestHandshake(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{InstanceID: "test"}}, tcpsync.Config{})
	u, tok := s.env.User(t, "alice")
	c := s.dial(t)
	greeting, err := c.ReceiveRaw(wait)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(greeting), `{"type":"auth_required","protocol":1}`; got != want {
		t.Fatalf("greeting %s, want %s", got, want)
	}
	send(t, c, protocol.AuthMessage{Type: protocol.TypeAuth, ID: "hello", Token: tok})
	ok := expectType(t, c, protocol.TypeAuthOK)
	if ok.UserID != u.ID || ok.Username != "alice" || ok.ID != "hello" || !strings.HasPrefix(ok.ConnectionID, "test-") {
		t.Fatalf("auth_ok = %+v", ok)
	}
	_, other := s.login(t, tok)
	if other.ConnectionID == ok.ConnectionID {
		t.Fatalf("two connections share connection_id %s", ok.ConnectionID)
	}
	if got := s.env.Hub.ActiveConnections(); got != 2 {
		t.Fatalf("ActiveConnections = %d, want 2", got)
	}
	if got := value(t, s.env.Metrics.TCPActiveConnections); got != 2 {
		t.Fatalf("active connections gauge = %v, want 2", got)
	}
	c.Close()
	testenv.Eventually(t, wait, "the closed connection is no longer counted", func() bool { return s.env.Hub.ActiveConnections() == 1 })
}

func TestRequests(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	u, _, c := s.user(t, "bob")
	manga := s.env.MangaID

	send(t, c, protocol.GetProgressMessage{Type: protocol.TypeGetProgress, ID: "g0", MangaID: manga})
	if m := expectType(t, c, protocol.TypeProgress); m.ID != "g0" || m.Progress != nil {
		t.Fatalf("get before any update = %+v, want progress null", m)
	}

	send(t, c, update(manga, 5, "u1"))
	ack := expectType(t, c, protocol.TypeAck)
	if ack.ID != "u1" || !ack.Applied || ack.Reason != "" || ack.Progress == nil || ack.Progress.Chapter != 5 ||
		ack.Progress.UserID != u.ID || ack.Progress.Version != 1 || ack.Progress.Status != mangahub.StatusReading {
		t.Fatalf("ack = %+v / %+v", ack, ack.Progress)
	}

	// Backwards without force: acknowledged, not applied, state unchanged,
	// and the ack says why.
	send(t, c, update(manga, 3, "u2"))
	if ack := expectType(t, c, protocol.TypeAck); ack.Applied || ack.Reason != mangahub.ReasonBackwards || ack.Progress.Chapter != 5 || ack.Progress.Version != 1 {
		t.Fatalf("backwards ack = %+v / %+v", ack, ack.Progress)
	}

	send(t, c, protocol.GetProgressMessage{Type: protocol.TypeGetProgress, ID: "g1", MangaID: manga})
	if m := expectType(t, c, protocol.TypeProgress); m.Progress == nil || m.Progress.Chapter != 5 {
		t.Fatalf("get = %+v", m)
	}
	send(t, c, protocol.SimpleMessage{Type: protocol.TypeListProgress, ID: "l"})
	if m := expectType(t, c, protocol.TypeProgressList); m.ID != "l" || len(m.Items) != 1 || m.Items[0].MangaID != manga {
		t.Fatalf("list = %+v", m)
	}
	send(t, c, protocol.SimpleMessage{Type: protocol.TypePing, ID: "p"})
	if m := expectType(t, c, protocol.TypePong); m.ID != "p" {
		t.Fatalf("pong = %+v", m)
	}
	// Without an id, replies carry none.
	if err := c.SendRaw([]byte(`{"type":"ping"}` + "\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := c.ReceiveRaw(wait); err != nil || string(line) != `{"type":"pong"}` {
		t.Fatalf("pong without id = %s, %v", line, err)
	}
}

// TestRequestErrorsKeepOpen covers every error that answers one request and
// leaves the connection open; each echoes the request's id.
func TestRequestErrorsKeepOpen(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	_, _, c := s.user(t, "carol")
	manga := s.env.MangaID
	send(t, c, update(manga, 10, "seed"))
	expectType(t, c, protocol.TypeAck)

	v := int64(7)
	tests := []struct {
		name string
		raw  string
		msg  any
		code mangahub.ErrorCode
		id   string
	}{
		{name: "garbage", raw: "\x00\x01\x02 not json", code: mangahub.CodeInvalidJSON},
		{name: "invalid utf-8", raw: "{\"type\":\"ping\",\"id\":\"\xff\"}", code: mangahub.CodeInvalidJSON},
		{name: "array", raw: `[{"type":"ping"}]`, code: mangahub.CodeInvalidJSON},
		{name: "unknown type", raw: `{"type":"subscribe","id":"s1"}`, code: mangahub.CodeUnknownType, id: "s1"},
		{name: "string manga_id", raw: `{"type":"progress_update","id":"v1","manga_id":"1","chapter":2}`, code: mangahub.CodeValidation, id: "v1"},
		{name: "missing chapter", raw: `{"type":"progress_update","id":"v2","manga_id":1}`, code: mangahub.CodeValidation, id: "v2"},
		{name: "chapter past the end", msg: update(manga, hubtest.TotalChapters+1, "v3"), code: mangahub.CodeValidation, id: "v3"},
		{name: "negative chapter", msg: update(manga, -1, "v4"), code: mangahub.CodeValidation, id: "v4"},
		{name: "unknown manga", msg: update(manga+1000, 1, "m1"), code: mangahub.CodeMangaNotFound, id: "m1"},
		{name: "conflict", msg: protocol.ProgressUpdateMessage{Type: protocol.TypeProgressUpdate, ID: "c1", MangaID: manga, Chapter: 11, ExpectedVersion: &v}, code: mangahub.CodeConflict, id: "c1"},
		{name: "second auth", raw: `{"type":"auth","id":"a2","token":"x"}`, code: mangahub.CodeValidation, id: "a2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.msg != nil {
				send(t, c, tt.msg)
			} else if err := c.SendRaw([]byte(tt.raw + "\n")); err != nil {
				t.Fatal(err)
			}
			m := expectError(t, c, tt.code, tt.id)
			if tt.code == mangahub.CodeConflict && (m.Progress == nil || m.Progress.Chapter != 10 || m.Progress.Version != 1) {
				t.Fatalf("conflict without the current state: %+v", m.Progress)
			}
			expectQuiet(t, c) // still open
		})
	}
}

func TestRateLimited(t *testing.T) {
	s := start(t, hubtest.Options{RateLimit: ratelimit.Limit{Rate: 0.01, Burst: 2}}, tcpsync.Config{})
	_, tok, c := s.user(t, "dave")
	other, _ := s.login(t, tok) // the limit is per user, across connections
	send(t, c, update(s.env.MangaID, 1, "1"))
	expectType(t, c, protocol.TypeAck)
	expectType(t, other, protocol.TypeProgressBroadcast)
	send(t, other, update(s.env.MangaID, 2, "2"))
	expectType(t, other, protocol.TypeAck)
	expectType(t, c, protocol.TypeProgressBroadcast)

	send(t, c, update(s.env.MangaID, 3, "3"))
	m := expectError(t, c, mangahub.CodeRateLimited, "3")
	if m.RetryAfterMS <= 0 {
		t.Fatalf("rate_limited without retry_after_ms: %+v", m)
	}
	expectQuiet(t, c)
	if got := value(t, s.env.Metrics.RateLimited.WithLabelValues("tcp")); got != 1 {
		t.Fatalf("rate limited metric = %v, want 1", got)
	}
	if got := value(t, s.env.Metrics.ProgressUpdates.WithLabelValues("tcp", "rate_limited")); got != 1 {
		t.Fatalf("progress updates{tcp,rate_limited} = %v, want 1", got)
	}
}

// TestFanOut: a change reaches the user's other connections, never the one
// that made it and never another user, whichever transport or HTTP made it.
func TestFanOut(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	ctx := context.Background()
	alice, tok, a1 := s.user(t, "alice")
	a2, _ := s.login(t, tok)
	_, _, b := s.user(t, "bob")
	manga := s.env.MangaID

	send(t, a1, update(manga, 4, "x"))
	ack := expectType(t, a1, protocol.TypeAck)
	push := expectType(t, a2, protocol.TypeProgressBroadcast)
	if push.Source != mangahub.SourceTCP || push.Progress == nil || *push.Progress != *ack.Progress || push.ID != "" {
		t.Fatalf("broadcast = %+v, want the acked progress from tcp", push)
	}
	expectQuiet(t, a1)
	expectQuiet(t, b)

	// A change over HTTP reaches every connection of the user.
	res, err := s.env.Progress.Update(ctx, alice.ID, mangahub.Origin{Source: mangahub.SourceHTTP}, mangahub.ProgressUpdate{MangaID: manga, Chapter: 9})
	if err != nil || !res.Applied {
		t.Fatalf("HTTP update: %v, applied=%v", err, res.Applied)
	}
	p := res.Progress
	for _, c := range []*protocol.LineClient{a1, a2} {
		if m := expectType(t, c, protocol.TypeProgressBroadcast); m.Source != mangahub.SourceHTTP || m.Progress.Version != p.Version {
			t.Fatalf("HTTP broadcast = %+v", m)
		}
	}
	// An update that changes nothing is not pushed.
	send(t, a1, update(manga, 9, "same"))
	if m := expectType(t, a1, protocol.TypeAck); m.Applied || m.Reason != mangahub.ReasonUnchanged {
		t.Fatalf("no-op ack = %+v, want not applied, reason unchanged", m)
	}
	expectQuiet(t, a2)

	if err := s.env.Progress.Delete(ctx, alice.ID, mangahub.Origin{Source: mangahub.SourceHTTP}, manga); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*protocol.LineClient{a1, a2} {
		if m := expectType(t, c, protocol.TypeProgressDeleted); m.MangaID != manga {
			t.Fatalf("deleted = %+v", m)
		}
	}
	expectQuiet(t, b)
}
