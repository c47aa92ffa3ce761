package auth_test

import (
	"context"
	"github.com/mangahub/mangahub/internal/testenv"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

var (
	t0     = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	secret = []byte("test-secret-0123456789abcdef-0123456789")
)

const password = "correct horse battery"

type env struct {
	svc    *auth.Service
	users  *userStore
	tokens *tokenStore
	clock  *testenv.Clock
	cfg    auth.Config
}

func newEnv(t *testing.T, tune ...func(*auth.Config)) *env {
	t.Helper()
	e := &env{users: newUserStore(), tokens: newTokenStore(), clock: testenv.NewClock(t0)}
	e.cfg = auth.Config{Secret: secret, AccessTTL: 10 * time.Minute, RefreshTTL: 24 * time.Hour, Now: e.clock.Now}
	for _, f := range tune {
		f(&e.cfg)
	}
	e.svc = auth.NewForTest(e.users, e.tokens, e.cfg)
	return e
}

func (e *env) register(t *testing.T, username string, role mangahub.Role) *mangahub.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), username, username+"@example.com", password, role)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

func (e *env) login(t *testing.T, login string) *auth.Session {
	t.Helper()
	s, err := e.svc.Login(context.Background(), login, password)
	if err != nil {
		t.Fatalf("Login(%q): %v", login, err)
	}
	return s
}

func wantCode(t *testing.T, err error, code mangahub.ErrorCode) {
	t.Helper()
	if got := mangahub.ErrorCodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
