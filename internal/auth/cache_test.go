package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

// TestAuthenticateAsksTheStoreOncePerTTL: repeated requests of one user
// cost one store read per UserCacheTTL, not one each.
func TestAuthenticateAsksTheStoreOncePerTTL(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	ctx := context.Background()
	before := e.users.findCalls()
	for range 10 {
		if _, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.users.findCalls() - before; n != 1 {
		t.Fatalf("10 authentications read the user %d times, want 1", n)
	}
	e.clock.Add(auth.DefaultUserCacheTTL - time.Millisecond)
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil {
		t.Fatal(err)
	}
	if n := e.users.findCalls() - before; n != 1 {
		t.Fatalf("a read within the TTL went to the store (%d reads)", n)
	}
	e.clock.Add(time.Millisecond)
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil {
		t.Fatal(err)
	}
	if n := e.users.findCalls() - before; n != 2 {
		t.Fatalf("after the TTL: %d reads, want 2", n)
	}
}

// TestAuthenticateWithoutUserCache: a negative TTL asks the store every
// time, for a deployment that wants deletions to act at once.
func TestAuthenticateWithoutUserCache(t *testing.T) {
	e := newEnv(t, func(c *auth.Config) { c.UserCacheTTL = -1 })
	u := e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	if _, err := e.svc.Authenticate(context.Background(), s.AccessToken); err != nil {
		t.Fatal(err)
	}
	e.users.delete(u.ID)
	_, err := e.svc.Authenticate(context.Background(), s.AccessToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
}

// TestDeletedUserWithinTheBound: a user deleted from the store keeps access
// for at most UserCacheTTL; a deleted user's token is remembered as such, so
// it stays refused without asking again; and a refresh attempt, which reads
// the store, ends the access tokens at once.
func TestDeletedUserWithinTheBound(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "reader", mangahub.RoleUser)
	s := e.login(t, "reader")
	other := e.login(t, "reader")
	ctx := context.Background()
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil {
		t.Fatal(err)
	}
	e.users.delete(u.ID)
	e.clock.Add(auth.DefaultUserCacheTTL)
	_, err := e.svc.Authenticate(ctx, s.AccessToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	reads := e.users.findCalls()
	_, err = e.svc.Authenticate(ctx, other.AccessToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	if e.users.findCalls() != reads {
		t.Fatal("a known-deleted user was looked up again within the TTL")
	}

	// Through Refresh: the user is gone as soon as a refresh finds out.
	e2 := newEnv(t)
	u2 := e2.register(t, "reader", mangahub.RoleUser)
	s2 := e2.login(t, "reader")
	if _, err := e2.svc.Authenticate(ctx, s2.AccessToken); err != nil {
		t.Fatal(err)
	}
	e2.users.delete(u2.ID)
	_, err = e2.svc.Refresh(ctx, s2.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
	_, err = e2.svc.Authenticate(ctx, s2.AccessToken)
	wantCode(t, err, mangahub.CodeInvalidToken)
}

// TestRevocationWithCachedAccessTokens: caching access tokens changes
// nothing of what revokes refresh tokens. Logout ends a refresh token at
// once, a rotated token fails, and reusing one revokes its family, all while
// the session's access token is cached (and still valid, as access tokens
// are stateless).
func TestRevocationWithCachedAccessTokens(t *testing.T) {
	e := newEnv(t)
	e.register(t, "reader", mangahub.RoleUser)
	ctx := context.Background()

	loggedOut := e.login(t, "reader")
	if _, err := e.svc.Authenticate(ctx, loggedOut.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctx, loggedOut.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Refresh(ctx, loggedOut.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)

	first := e.login(t, "reader")
	if _, err := e.svc.Authenticate(ctx, first.AccessToken); err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, first.RefreshToken) // reuse: the family goes
	wantCode(t, err, mangahub.CodeInvalidToken)
	_, err = e.svc.Refresh(ctx, second.RefreshToken)
	wantCode(t, err, mangahub.CodeInvalidToken)

	// A cached access token still expires on time.
	e.clock.Add(e.cfg.AccessTTL)
	_, err = e.svc.Authenticate(ctx, first.AccessToken)
	wantCode(t, err, mangahub.CodeTokenExpired)
}

// TestAuthenticateCachesAreBounded: more tokens and users than the caches
// hold still authenticate correctly, and the caches stay within bounds.
func TestAuthenticateCachesAreBounded(t *testing.T) {
	e := newEnv(t)
	const limit = 8
	auth.LimitCaches(e.svc, limit)
	ctx := context.Background()
	for i := range 5 * limit {
		u := e.register(t, fmt.Sprint("reader", i), mangahub.RoleUser)
		tok, err := e.svc.IssueAccessToken(u)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if id, err := e.svc.Authenticate(ctx, tok); err != nil || id.UserID != u.ID {
				t.Fatalf("token %d: %+v, %v", i, id, err)
			}
		}
		if n := auth.CachedTokens(e.svc); n > limit {
			t.Fatalf("%d tokens cached, limit %d", n, limit)
		}
		if n := auth.CachedUsers(e.svc); n > limit {
			t.Fatalf("%d users cached, limit %d", n, limit)
		}
	}
}
