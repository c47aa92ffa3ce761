package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

func TestRefreshTokenIsStoredOnlyAsHash(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")

	raw, err := base64.RawURLEncoding.Strict().DecodeString(s.RefreshToken)
	if err != nil || len(raw) != 48 {
		t.Fatalf("refresh token %q: %d bytes, %v; want a 16-byte family and 32 random bytes in unpadded base64url", s.RefreshToken, len(raw), err)
	}
	stored := e.tokens.snapshot()
	if len(stored) != 1 {
		t.Fatalf("%d tokens stored, want 1", len(stored))
	}
	sum := sha256.Sum256([]byte(s.RefreshToken))
	rt, ok := stored[hex.EncodeToString(sum[:])]
	if !ok {
		t.Fatalf("token not stored under its hex SHA-256: %v", stored)
	}
	if rt.UserID != u.ID || !rt.CreatedAt.Equal(t0) || !rt.ExpiresAt.Equal(t0.Add(e.cfg.RefreshTTL)) ||
		rt.Family != hex.EncodeToString(raw[:16]) {
		t.Fatalf("stored token = %+v", rt)
	}
	for h := range stored {
		if strings.Contains(h, s.RefreshToken) {
			t.Fatal("the raw token is stored")
		}
	}
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	first := e.login(t, "reader")
	ctx := context.Background()

	e.clock.Add(time.Minute)
	second, err := e.svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not issue a new pair")
	}
	if second.User.ID != u.ID || second.User.PasswordHash != "" || second.ExpiresIn != e.cfg.AccessTTL {
		t.Fatalf("session = %+v, user %+v", second, second.User)
	}
	if id, err := e.svc.Authenticate(ctx, second.AccessToken); err != nil || id.UserID != u.ID {
		t.Fatalf("new access token: %+v, %v", id, err)
	}

	// The same family: the login's first 16 bytes carry over.
	a, _ := base64.RawURLEncoding.DecodeString(first.RefreshToken)
	b, _ := base64.RawURLEncoding.DecodeString(second.RefreshToken)
	if string(a[:16]) != string(b[:16]) || string(a[16:]) == string(b[16:]) {
		t.Fatal("a rotated token must keep the family and change the secret")
	}
	third, err := e.svc.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh with the new token: %v", err)
	}
	if n := len(e.tokens.snapshot()); n != 1 {
		t.Fatalf("%d tokens stored after two rotations, want 1", n)
	}
	sum := sha256.Sum256([]byte(third.RefreshToken))
	if got := e.tokens.snapshot()[hex.EncodeToString(sum[:])]; !got.ExpiresAt.Equal(t0.Add(time.Minute + e.cfg.RefreshTTL)) {
		t.Fatalf("rotated token expires at %v", got.ExpiresAt)
	}
}

// TestRefreshReuseRevokesTheSession: a token presented after it was rotated
// was copied; the copy fails, and so does every token descended from it,
// whoever holds them. Another login of the same user is not touched.
func TestRefreshReuseRevokesTheSession(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	stolen := e.login(t, "reader")
	other := e.login(t, "reader")
	ctx := context.Background()

	owner, err := e.svc.Refresh(ctx, stolen.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	_, err = e.svc.Refresh(ctx, stolen.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	if !strings.Contains(mangahub.ErrorMessageOf(err), "already used") {
		t.Errorf("reuse answered %q, want it to say the token was already used", mangahub.ErrorMessageOf(err))
	}
	_, err = e.svc.Refresh(ctx, owner.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	if _, err := e.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("the user's other session: %v", err)
	}
}

// TestRefreshOfATokenFromBeforeFamilies: a token issued before families
// existed (32 random bytes) still works once, and starts a family.
func TestRefreshOfATokenFromBeforeFamilies(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	legacy := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	sum := sha256.Sum256([]byte(legacy))
	if err := e.tokens.CreateRefreshToken(context.Background(), &mangahub.RefreshToken{
		Hash: hex.EncodeToString(sum[:]), UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	s, err := e.svc.Refresh(context.Background(), legacy)
	if err != nil {
		t.Fatalf("Refresh(legacy): %v", err)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(s.RefreshToken); len(raw) != 48 {
		t.Errorf("the next token has %d bytes, want 48 (with a family)", len(raw))
	}
}

func TestRefreshExpired(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	e.clock.Add(e.cfg.RefreshTTL)
	_, err := e.svc.Refresh(context.Background(), s.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
}

func TestRefreshDeletedUser(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	e.users.delete(u.ID)
	_, err := e.svc.Refresh(context.Background(), s.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	if n := len(e.tokens.snapshot()); n != 0 {
		t.Fatalf("%d tokens left for a deleted user", n)
	}
}

func TestRefreshRejectsMalformedWithoutTheStore(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	for _, tok := range []string{
		"",
		"short",
		s.AccessToken,
		s.RefreshToken + "A",
		strings.Repeat("!", len(s.RefreshToken)),
		s.RefreshToken[:len(s.RefreshToken)-1] + "=",
	} {
		_, err := e.svc.Refresh(context.Background(), tok)
		wantCode(t, err, mangahub.CodeInvalidToken)
	}
	if n := e.tokens.rotateCalls(); n != 0 {
		t.Fatalf("malformed tokens reached the store %d times", n)
	}
	// A well-formed token that was never issued is asked about, and refused.
	_, err := e.svc.Refresh(context.Background(), base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	wantCode(t, err, mangahub.CodeInvalidToken)
	if n := e.tokens.rotateCalls(); n != 1 {
		t.Fatalf("rotate calls = %d, want 1", n)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	ctx := context.Background()
	kept := e.login(t, "reader")
	s := e.login(t, "reader")

	if err := e.svc.Logout(ctx, s.RefreshToken); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := e.svc.Refresh(ctx, s.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	if _, err := e.svc.Refresh(ctx, kept.RefreshToken); err != nil {
		t.Fatalf("logout of one session ended another: %v", err)
	}
	// Access tokens are stateless and live until they expire.
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil {
		t.Fatalf("access token after logout: %v", err)
	}
	for _, tok := range []string{s.RefreshToken, "", "garbage", base64.RawURLEncoding.EncodeToString(make([]byte, 32))} {
		if err := e.svc.Logout(ctx, tok); err != nil {
			t.Fatalf("Logout(%q) = %v, want nil", tok, err)
		}
	}
}
