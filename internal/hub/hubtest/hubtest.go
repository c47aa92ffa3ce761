// Package hubtest builds a real hub for the transports' tests: the auth,
// catalog and progress services over an embedded SQLite database in a
// temporary directory, and the in-process bus. Only tests import it.
package hubtest

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/metrics"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/ratelimit"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// Secret signs the environment's access tokens.
var Secret = []byte("hubtest-secret-0123456789abcdef-0123456789")

// TotalChapters is the length of the environment's manga.
const TotalChapters = 100

// Options tunes an Env; zero fields take test-friendly defaults.
type Options struct {
	Hub hub.Config
	// RateLimit is the per-user progress write limit (generous by default).
	RateLimit ratelimit.Limit
	// AccessTTL is the lifetime of issued access tokens (a minute).
	AccessTTL time.Duration
	// Logger receives the hub's logs (discarded when nil).
	Logger *slog.Logger
}

// Env is a hub wired to real services.
type Env struct {
	Hub      *hub.Hub
	Auth     *auth.Service
	Progress *progress.Service
	Catalog  *catalog.Service
	Bus      *inmem.Bus
	Metrics  *metrics.Metrics
	Users    mangahub.UserStore
	// MangaID has TotalChapters chapters.
	MangaID int64
}

// New builds an Env; t.Cleanup shuts the hub down and closes the database.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if opts.RateLimit.Rate == 0 {
		opts.RateLimit = ratelimit.Limit{Rate: 10_000, Burst: 10_000}
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Minute
	}
	e := &Env{Bus: inmem.NewBus(), Metrics: metrics.New(), Users: sqlite.NewUserStore(db)}
	e.Auth = auth.New(e.Users, sqlite.NewRefreshTokenStore(db), auth.Config{
		Secret: Secret, AccessTTL: opts.AccessTTL, RefreshTTL: time.Hour, BcryptCost: auth.MinBcryptCost,
	})
	e.Catalog = catalog.New(sqlite.NewMangaStore(db))
	total := TotalChapters
	m := &mangahub.Manga{Title: "Hub Test Manga", Author: "Tester", Status: mangahub.MangaOngoing, TotalChapters: &total}
	if err := e.Catalog.CreateManga(ctx, m); err != nil {
		t.Fatalf("create manga: %v", err)
	}
	e.MangaID = m.ID
	e.Progress = progress.New(sqlite.NewProgressStore(db), e.Catalog, e.Bus, ratelimit.New(opts.RateLimit, nil), progress.Config{
		Observe: func(src mangahub.Source, result string) {
			e.Metrics.ProgressUpdates.WithLabelValues(string(src), result).Inc()
		},
	})
	e.Hub = hub.New(opts.Hub, e.Auth, e.Progress, e.Bus, opts.Logger, e.Metrics)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Hub.Shutdown(ctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		db.Close()
	})
	return e
}

// User creates a user (without a password: tests authenticate with tokens)
// and returns it with a valid access token.
func (e *Env) User(t testing.TB, name string) (*mangahub.User, string) {
	t.Helper()
	u := &mangahub.User{
		ID: uuid.NewString(), Username: name, Email: strings.ToLower(name) + "@example.com",
		PasswordHash: "-", Role: mangahub.RoleUser, CreatedAt: time.Now().UTC().Truncate(time.Microsecond),
	}
	if err := e.Users.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	tok, err := e.Auth.IssueAccessToken(u)
	if err != nil {
		t.Fatalf("issue token: %v", err)
	}
	return u, tok
}
