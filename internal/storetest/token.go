package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

func testRefreshTokens(t *testing.T, open func(*testing.T) Stores) {

	// setup returns stores with one user holding token "h1" of family
	// "f1", valid for an hour.
	setup := func(t *testing.T) (Stores, *mangahub.User) {
		t.Helper()
		s := open(t)
		u := mustCreateUser(t, s, userN(1))
		tok := &mangahub.RefreshToken{Hash: "h1", UserID: u.ID, Family: "f1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.Tokens.CreateRefreshToken(t.Context(), tok); err != nil {
			t.Fatalf("CreateRefreshToken: %v", err)
		}
		return s, u
	}
	next := func(hash string) *mangahub.RefreshToken {
		return &mangahub.RefreshToken{Hash: hash, Family: "f1", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
	}

	t.Run("RotateOnce", func(t *testing.T) {
		s, u := setup(t)
		ctx := t.Context()
		n := next("h2")
		uid, err := s.Tokens.RotateRefreshToken(ctx, "h1", n, t0.Add(time.Minute))
		if err != nil {
			t.Fatalf("RotateRefreshToken: %v", err)
		}
		if uid != u.ID || n.UserID != u.ID {
			t.Errorf("rotation returned user %q and set next.UserID %q, want %q", uid, n.UserID, u.ID)
		}
		uid, err = s.Tokens.RotateRefreshToken(ctx, "h2", next("h3"), t0.Add(2*time.Minute))
		if err != nil || uid != u.ID {
			t.Errorf("rotating the new token h2: user %q, err %v; want %q", uid, err, u.ID)
		}
	})

	// Reuse detection: a token presented after it was rotated revokes
	// every token descended from it; tokens of other families stay.
	t.Run("ReuseRevokesTheFamily", func(t *testing.T) {
		s, u := setup(t)
		ctx := t.Context()
		other := &mangahub.RefreshToken{Hash: "g1", UserID: u.ID, Family: "f2", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := s.Tokens.CreateRefreshToken(ctx, other); err != nil {
			t.Fatalf("CreateRefreshToken: %v", err)
		}
		if _, err := s.Tokens.RotateRefreshToken(ctx, "h1", next("h2"), t0.Add(time.Minute)); err != nil {
			t.Fatalf("RotateRefreshToken: %v", err)
		}
		_, err := s.Tokens.RotateRefreshToken(ctx, "h1", next("h3"), t0.Add(time.Minute))
		if !errors.Is(err, mangahub.ErrRefreshTokenReused) {
			t.Errorf("second rotation of h1: %v, want ErrRefreshTokenReused", err)
		}
		_, err = s.Tokens.RotateRefreshToken(ctx, "h2", next("h4"), t0.Add(2*time.Minute))
		wantCode(t, "rotating h2, descended from the reused h1", err, mangahub.CodeInvalidToken)
		// h3 was never stored: its rotation failed.
		_, err = s.Tokens.RotateRefreshToken(ctx, "h3", next("h5"), t0.Add(2*time.Minute))
		wantCode(t, "rotating the token of a failed rotation", err, mangahub.CodeInvalidToken)
		g2 := &mangahub.RefreshToken{Hash: "g2", Family: "f2", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
		if uid, err := s.Tokens.RotateRefreshToken(ctx, "g1", g2, t0.Add(2*time.Minute)); err != nil || uid != u.ID {
			t.Errorf("the other family's token: user %q, err %v", uid, err)
		}
	})

	// Tokens from before families (Family "") rotate, and an unknown one
	// revokes nothing.
	t.Run("WithoutFamily", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		u := mustCreateUser(t, s, userN(1))
		for _, h := range []string{"old1", "old2"} {
			if err := s.Tokens.CreateRefreshToken(ctx, &mangahub.RefreshToken{Hash: h, UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				t.Fatalf("CreateRefreshToken(%s): %v", h, err)
			}
		}
		_, err := s.Tokens.RotateRefreshToken(ctx, "unknown", &mangahub.RefreshToken{Hash: "x", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}, t0)
		wantCode(t, "RotateRefreshToken(unknown, no family)", err, mangahub.CodeInvalidToken)
		if errors.Is(err, mangahub.ErrRefreshTokenReused) {
			t.Error("an unknown token without a family was taken for a reused one")
		}
		for _, h := range []string{"old1", "old2"} {
			n := &mangahub.RefreshToken{Hash: "new-" + h, Family: "fam-" + h, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if uid, err := s.Tokens.RotateRefreshToken(ctx, h, n, t0); err != nil || uid != u.ID {
				t.Errorf("rotating %s: user %q, err %v", h, uid, err)
			}
		}
	})

	// A new login forgets the user's tokens that expired by then.
	t.Run("ExpiredTokensForgotten", func(t *testing.T) {
		s, u := setup(t) // h1 expires at t0+1h
		ctx := t.Context()
		later := &mangahub.RefreshToken{Hash: "h9", UserID: u.ID, Family: "f9", CreatedAt: t0.Add(2 * time.Hour), ExpiresAt: t0.Add(3 * time.Hour)}
		if err := s.Tokens.CreateRefreshToken(ctx, later); err != nil {
			t.Fatalf("CreateRefreshToken: %v", err)
		}
		// Gone, not merely expired: rotating it as if it were still valid
		// fails.
		_, err := s.Tokens.RotateRefreshToken(ctx, "h1", next("h2"), t0)
		wantCode(t, "rotating the forgotten h1", err, mangahub.CodeInvalidToken)
		if uid, err := s.Tokens.RotateRefreshToken(ctx, "h9", &mangahub.RefreshToken{Hash: "h10", Family: "f9", CreatedAt: t0, ExpiresAt: t0.Add(4 * time.Hour)}, t0.Add(2*time.Hour)); err != nil || uid != u.ID {
			t.Errorf("the new login's token: user %q, err %v", uid, err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		tests := []struct {
			name string
			at   time.Time
			ok   bool
		}{
			{"a microsecond before expiry", t0.Add(time.Hour - time.Microsecond), true},
			{"at expiry", t0.Add(time.Hour), false},
			{"after expiry", t0.Add(time.Hour + time.Second), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, _ := setup(t)
				_, err := s.Tokens.RotateRefreshToken(t.Context(), "h1", next("h2"), tt.at)
				if tt.ok && err != nil {
					t.Fatalf("RotateRefreshToken: %v", err)
				}
				if !tt.ok {
					wantCode(t, "RotateRefreshToken", err, mangahub.CodeInvalidToken)
					// An expired token is used up by the attempt.
					_, err = s.Tokens.RotateRefreshToken(t.Context(), "h1", next("h3"), t0)
					wantCode(t, "RotateRefreshToken after the expired attempt", err, mangahub.CodeInvalidToken)
				}
			})
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.Tokens.RotateRefreshToken(t.Context(), "nope", next("h2"), t0)
		wantCode(t, "RotateRefreshToken(unknown)", err, mangahub.CodeInvalidToken)
	})

	t.Run("Delete", func(t *testing.T) {
		s, _ := setup(t)
		ctx := t.Context()
		if err := s.Tokens.DeleteRefreshToken(ctx, "h1"); err != nil {
			t.Fatalf("DeleteRefreshToken: %v", err)
		}
		_, err := s.Tokens.RotateRefreshToken(ctx, "h1", next("h2"), t0)
		wantCode(t, "RotateRefreshToken after delete", err, mangahub.CodeInvalidToken)
		if err := s.Tokens.DeleteRefreshToken(ctx, "nope"); err != nil {
			t.Errorf("DeleteRefreshToken(unknown) = %v, want nil", err)
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		err := s.Tokens.CreateRefreshToken(t.Context(), &mangahub.RefreshToken{
			Hash: "h1", UserID: userN(9).ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		})
		wantCode(t, "CreateRefreshToken(unknown user)", err, mangahub.CodeNotFound)
	})

	t.Run("ConcurrentRotate", func(t *testing.T) {
		s, _ := setup(t)
		const n = 8
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make([]error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = s.Tokens.RotateRefreshToken(t.Context(), "h1", next(fmt.Sprintf("next%d", i)), t0)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("rotations %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			default:
				wantCode(t, fmt.Sprintf("rotation %d", i), err, mangahub.CodeInvalidToken)
			}
		}
		if winner < 0 {
			t.Fatal("no rotation succeeded")
		}
		// The losers presented a token already rotated: that is reuse, so
		// the winner's next token is revoked too, and no loser's was
		// stored.
		for i := range n {
			_, err := s.Tokens.RotateRefreshToken(t.Context(), fmt.Sprintf("next%d", i), next(fmt.Sprintf("after%d", i)), t0)
			wantCode(t, fmt.Sprintf("next token of rotation %d (winner %d)", i, winner), err, mangahub.CodeInvalidToken)
		}
	})
}
