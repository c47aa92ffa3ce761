package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/httpapi"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/metrics"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/ratelimit"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// env is the HTTP API over the real services and a fresh SQLite database.
type env struct {
	h       http.Handler
	metrics *metrics.Metrics
	logs    *syncBuffer
	auth    *auth.Service
	catalog *catalog.Service
	users   *sqlite.UserStore
	secret  []byte

	admin, user           *mangahub.User
	adminToken, userToken string
}

type envOptions struct {
	authLimit     ratelimit.Limit // zero: no limit
	progressLimit ratelimit.Limit // zero: no limit
	ready         func(context.Context) httpapi.Readiness
	catalogTTL    time.Duration // the catalog cache's TTL and max-age; zero: none
	libraryTTL    time.Duration // the progress service's library cache; zero: none
}

// testPassword is every seeded account's password.
const testPassword = "correct horse battery"

func newEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mangahub.db"))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}

	e := &env{metrics: metrics.New(), logs: &syncBuffer{}, secret: []byte(strings.Repeat("s3cret-", 6))}
	e.users = sqlite.NewUserStore(db)
	e.auth = auth.New(e.users, sqlite.NewRefreshTokenStore(db), auth.Config{
		Secret: e.secret, BcryptCost: auth.MinBcryptCost,
	})
	cat := catalog.New(sqlite.NewMangaStore(db), catalog.CacheFor(opts.catalogTTL))
	e.catalog = cat
	var limiter mangahub.RateLimiter // a nil *Keyed would not be a nil interface
	if opts.progressLimit.Rate > 0 {
		limiter = ratelimit.New(opts.progressLimit, nil)
	}
	prog := progress.New(sqlite.NewProgressStore(db), cat, inmem.NewBus(), limiter, progress.Config{LibraryCacheTTL: opts.libraryTTL})

	e.admin, e.adminToken = e.account(t, "admin", mangahub.RoleAdmin)
	e.user, e.userToken = e.account(t, "reader", mangahub.RoleUser)

	e.h = httpapi.New(httpapi.Deps{
		Auth:       e.auth,
		Catalog:    cat,
		Progress:   prog,
		Metrics:    e.metrics,
		Logger:     slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:      opts.ready,
		AuthByAddr: authLimiterOf(opts.authLimit), AuthByLogin: authLimiterOf(opts.authLimit),
		Version:       "test",
		CatalogMaxAge: opts.catalogTTL,
	})
	return e
}

// account stores a user with a precomputed password hash and issues a token
// without a login: bcrypt, slow by design and slower under -race, is paid
// once per test binary instead of twice per test.
func (e *env) account(t testing.TB, name string, role mangahub.Role) (*mangahub.User, string) {
	t.Helper()
	u := &mangahub.User{
		ID: uuid.NewString(), Username: name, Email: name + "@example.com",
		PasswordHash: passwordHash(t), Role: role,
	}
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	tok, err := e.auth.IssueAccessToken(u)
	if err != nil {
		t.Fatalf("token for %s: %v", name, err)
	}
	return u, tok
}

var (
	hashOnce sync.Once
	hash     []byte
	hashErr  error
)

// passwordHash is the bcrypt hash of testPassword.
func passwordHash(t testing.TB) string {
	t.Helper()
	hashOnce.Do(func() { hash, hashErr = bcrypt.GenerateFromPassword([]byte(testPassword), auth.MinBcryptCost) })
	if hashErr != nil {
		t.Fatalf("hash: %v", hashErr)
	}
	return string(hash)
}

// expiredToken is a well-signed access token for u that expired a while ago.
func (e *env) expiredToken(t testing.TB, u *mangahub.User) string {
	t.Helper()
	past := auth.New(nil, nil, auth.Config{
		Secret: e.secret, BcryptCost: auth.MinBcryptCost, AccessTTL: time.Minute,
		Now: func() time.Time { return time.Now().Add(-time.Hour) },
	})
	tok, err := past.IssueAccessToken(u)
	if err != nil {
		t.Fatalf("expired token: %v", err)
	}
	return tok
}

// manga is the JSON of a manga as the API sends it.
type manga struct {
	ID            int64     `json:"id"`
	Slug          string    `json:"slug"`
	Title         string    `json:"title"`
	AltTitles     []string  `json:"alt_titles"`
	Author        string    `json:"author"`
	Status        string    `json:"status"`
	TotalChapters *int      `json:"total_chapters"`
	Year          *int      `json:"year"`
	Description   string    `json:"description"`
	CoverURL      string    `json:"cover_url"`
	Genres        []string  `json:"genres"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// createManga adds a manga as admin (author defaults to a placeholder) and
// returns it.
func (e *env) createManga(t testing.TB, body map[string]any) manga {
	t.Helper()
	if _, ok := body["author"]; !ok {
		body["author"] = "Test Author"
	}
	var m manga
	send(t, e.h, request{method: http.MethodPost, path: "/api/manga", token: e.adminToken, body: body}).
		wantStatus(t, http.StatusCreated).decode(t, &m)
	if m.ID <= 0 {
		t.Fatalf("created manga has no id: %+v", m)
	}
	return m
}

// get is a GET as the ordinary user.
func (e *env) get(t testing.TB, path string) response {
	t.Helper()
	return send(t, e.h, request{method: http.MethodGet, path: path, token: e.userToken})
}

func mangaPath(id int64) string { return fmt.Sprintf("/api/manga/%d", id) }

// authLimiterOf is a fresh in-process limiter, nil for a zero limit.
func authLimiterOf(l ratelimit.Limit) mangahub.RateLimiter {
	if l.Rate <= 0 {
		return nil
	}
	return ratelimit.New(l, nil)
}
