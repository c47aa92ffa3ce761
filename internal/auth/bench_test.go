package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// BenchmarkAuthenticate measures what every HTTP request and every sync
// handshake pays for its access token, over the embedded store (a user
// lookup there is a real SQLite read) and over an in-memory one (the cost
// of verification alone).
func BenchmarkAuthenticate(b *testing.B) {
	b.Run("store=sqlite", func(b *testing.B) {
		ctx := context.Background()
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		benchAuthenticate(b, sqlite.NewUserStore(db), sqlite.NewRefreshTokenStore(db))
	})
	b.Run("store=memory", func(b *testing.B) {
		benchAuthenticate(b, newUserStore(), newTokenStore())
	})
}

// BenchmarkVerifyUncached is Authenticate with its caches off: the cost of
// a token seen for the first time (verification and a user lookup in the
// in-memory store).
func BenchmarkVerifyUncached(b *testing.B) {
	benchAuthenticate(b, newUserStore(), newTokenStore(), func(s *auth.Service) { auth.LimitCaches(s, 0) })
}

func benchAuthenticate(b *testing.B, users mangahub.UserStore, tokens mangahub.RefreshTokenStore, tune ...func(*auth.Service)) {
	b.Helper()
	svc := auth.NewForTest(users, tokens, auth.Config{Secret: secret, AccessTTL: time.Hour})
	for _, f := range tune {
		f(svc)
	}
	u, err := svc.CreateUser(context.Background(), "reader", "reader@example.com", password, mangahub.RoleUser)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := svc.IssueAccessToken(u)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id, err := svc.Authenticate(ctx, tok)
			if err != nil || id.UserID != u.ID {
				b.Errorf("Authenticate = %+v, %v", id, err)
				return
			}
		}
	})
}
