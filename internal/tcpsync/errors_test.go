package tcpsync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/protocol"
	"github.com/mangahub/mangahub/internal/tcpsync"
	"github.com/mangahub/mangahub/internal/testenv"
)

// TestBeforeAuth: before auth_ok, anything but a valid auth message is
// answered with an error and the connection is closed; other users notice
// nothing.
func TestBeforeAuth(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	_, _, bystander := s.user(t, "bystander")
	tests := []struct {
		name string
		raw  string
		code mangahub.ErrorCode
		id   string
	}{
		{"ping", `{"type":"ping","id":"p"}`, mangahub.CodeUnauthenticated, "p"},
		{"progress update", `{"type":"progress_update","manga_id":1,"chapter":1}`, mangahub.CodeUnauthenticated, ""},
		{"unknown type", `{"type":"hello"}`, mangahub.CodeUnauthenticated, ""},
		// Not JSON is not an auth message either: unauthenticated, not
		// invalid_json (which leaves a connection open).
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00", mangahub.CodeUnauthenticated, ""},
		{"invalid utf-8", "{\"type\":\"auth\",\"token\":\"\xc3\x28\"}", mangahub.CodeUnauthenticated, ""},
		{"array", `[{"type":"auth","token":"x"}]`, mangahub.CodeUnauthenticated, ""},
		{"duplicate key", `{"type":"auth","token":"x","token":"y"}`, mangahub.CodeUnauthenticated, ""},
		{"numeric token", `{"type":"auth","id":"a","token":12345}`, mangahub.CodeAuthFailed, "a"},
		{"missing token", `{"type":"auth"}`, mangahub.CodeAuthFailed, ""},
		{"garbage token", `{"type":"auth","token":"not-a-jwt"}`, mangahub.CodeAuthFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(t)
			expectType(t, c, protocol.TypeAuthRequired)
			if err := c.SendRaw([]byte(tt.raw + "\n")); err != nil {
				t.Fatal(err)
			}
			expectError(t, c, tt.code, tt.id)
			expectClosed(t, c)
		})
	}
	expectQuiet(t, bystander)
}

// TestForgedTokens: every token that is not an unexpired HS256 access token
// from our secret, for an existing user, is refused.
func TestForgedTokens(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	u, good := s.env.User(t, "victim")
	ctx := context.Background()
	// A real refresh token, from a real login.
	if _, err := s.env.Auth.CreateUser(ctx, "loginuser", "login@example.com", "correct horse battery", mangahub.RoleUser); err != nil {
		t.Fatal(err)
	}
	sess, err := s.env.Auth.Login(ctx, "loginuser", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub": u.ID, "user_id": u.ID, "username": u.Username, "role": "user", "type": "access",
			"iss": "mangahub", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// Our header and signature around another payload (role admin).
	tampered := func() string {
		parts := strings.Split(good, ".")
		other := sign(jwt.SigningMethodHS256, []byte("other-secret-0123456789abcdef-012345"), claims(func(c jwt.MapClaims) { c["role"] = "admin" }))
		return parts[0] + "." + strings.Split(other, ".")[1] + "." + parts[2]
	}
	tests := []struct {
		name  string
		token string
		code  mangahub.ErrorCode
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)), mangahub.CodeAuthFailed},
		{"another secret", sign(jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef-0123"), claims(nil)), mangahub.CodeAuthFailed},
		{"HS512 with our secret", sign(jwt.SigningMethodHS512, hubtest.Secret, claims(nil)), mangahub.CodeAuthFailed},
		{"tampered payload", tampered(), mangahub.CodeAuthFailed},
		{"refresh token", sess.RefreshToken, mangahub.CodeAuthFailed},
		{"refresh type claim", sign(jwt.SigningMethodHS256, hubtest.Secret, claims(func(c jwt.MapClaims) { c["type"] = "refresh" })), mangahub.CodeAuthFailed},
		{"wrong issuer", sign(jwt.SigningMethodHS256, hubtest.Secret, claims(func(c jwt.MapClaims) { c["iss"] = "evil" })), mangahub.CodeAuthFailed},
		{"unknown user", sign(jwt.SigningMethodHS256, hubtest.Secret, claims(func(c jwt.MapClaims) {
			id := uuid.NewString()
			c["sub"], c["user_id"] = id, id
		})), mangahub.CodeAuthFailed},
		{"expired", sign(jwt.SigningMethodHS256, hubtest.Secret, claims(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})), mangahub.CodeTokenExpired},
	}
	before := value(t, s.env.Metrics.AuthFailures.WithLabelValues("tcp"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.dial(t)
			_, err := c.Authenticate(tt.token, wait)
			if !mangahub.IsCode(err, tt.code) {
				t.Fatalf("Authenticate = %v, want %s", err, tt.code)
			}
			expectClosed(t, c)
		})
	}
	if got := value(t, s.env.Metrics.AuthFailures.WithLabelValues("tcp")) - before; got != float64(len(tests)) {
		t.Fatalf("auth failures counted %v, want %d", got, len(tests))
	}
	// The genuine token still works.
	s.login(t, good)
}

func TestMessageSize(t *testing.T) {
	s := start(t, hubtest.Options{}, tcpsync.Config{})
	_, tok, _ := s.user(t, "big")

	pingOfSize := func(n int) []byte {
		head, tail := `{"type":"ping","id":"big","pad":"`, `"}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail + "\n")
	}
	t.Run("exactly the limit", func(t *testing.T) {
		c, _ := s.login(t, tok)
		if err := c.SendRaw(pingOfSize(protocol.MaxMessageBytes)); err != nil {
			t.Fatal(err)
		}
		expectType(t, c, protocol.TypePong)
	})
	t.Run("one byte over", func(t *testing.T) {
		c, _ := s.login(t, tok)
		if err := c.SendRaw(pingOfSize(protocol.MaxMessageBytes + 1)); err != nil {
			t.Fatal(err)
		}
		expectError(t, c, mangahub.CodeMessageTooLarge, "")
		expectClosed(t, c)
	})
	for _, authed := range []bool{false, true} {
		name := map[bool]string{false: "10 MB line before auth", true: "10 MB line"}[authed]
		t.Run(name, func(t *testing.T) {
			var c *protocol.LineClient
			if authed {
				c, _ = s.login(t, tok)
			} else {
				c = s.dial(t)
				expectType(t, c, protocol.TypeAuthRequired)
			}
			// The server answers long before the line ends; the write then
			// fails, which is expected.
			go c.SendRaw([]byte(strings.Repeat("a", 10<<20) + "\n"))
			expectError(t, c, mangahub.CodeMessageTooLarge, "")
			expectClosed(t, c)
		})
	}
}

func TestAuthTimeout(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{AuthTimeout: 200 * time.Millisecond}}, tcpsync.Config{})
	_, _, bystander := s.user(t, "patient")
	for _, sent := range []string{"", `{"type":"au`} { // silence, and half a line that stalls
		began := time.Now()
		c := s.dial(t)
		expectType(t, c, protocol.TypeAuthRequired)
		if sent != "" {
			if err := c.SendRaw([]byte(sent)); err != nil {
				t.Fatal(err)
			}
		}
		expectError(t, c, mangahub.CodeUnauthenticated, "")
		expectClosed(t, c)
		if d := time.Since(began); d < 200*time.Millisecond {
			t.Fatalf("closed after %v, before the auth timeout", d)
		}
	}
	// Not an idle timeout: the authenticated connection outlived it.
	expectQuiet(t, bystander)
}

func TestIdleTimeout(t *testing.T) {
	const idle = 500 * time.Millisecond
	s := start(t, hubtest.Options{Hub: hub.Config{IdleTimeout: idle}}, tcpsync.Config{})
	_, tok, silent := s.user(t, "silent")
	chatty, _ := s.login(t, tok)

	// The chatty client pings more often than the idle timeout and stays.
	tick := time.NewTicker(idle / 5)
	defer tick.Stop()
	for began := time.Now(); time.Since(began) < 2*idle; <-tick.C {
		expectQuiet(t, chatty)
	}
	// The silent one was told why, then closed; it got nothing else.
	expectError(t, silent, protocol.CodeIdleTimeout, "")
	expectClosed(t, silent)
	expectQuiet(t, chatty)
}

func TestTooManyConnections(t *testing.T) {
	s := start(t, hubtest.Options{Hub: hub.Config{MaxConnsPerUser: 2}}, tcpsync.Config{})
	_, tok := s.env.User(t, "greedy")
	first, _ := s.login(t, tok)
	s.login(t, tok)
	c := s.dial(t)
	_, err := c.Authenticate(tok, wait)
	if !mangahub.IsCode(err, mangahub.CodeTooManyConnections) {
		t.Fatalf("third connection: %v, want too_many_connections", err)
	}
	expectClosed(t, c)
	// Another user is not affected by greedy's cap.
	s.user(t, "modest")

	first.Close()
	testenv.Eventually(t, wait, "a slot frees up", func() bool {
		c, err := protocol.DialLine(s.addr, wait)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Authenticate(tok, wait)
		return err == nil
	})
}
