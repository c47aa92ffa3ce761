// Package httpapi is MangaHub's HTTP transport: the REST API of CONTRACT.md
// §2 (auth, catalog, reading progress), health and readiness, Prometheus
// metrics and the OpenAPI 3.1 document. Operations are declared with huma on a
// chi router, so /openapi.json is generated from the handlers themselves and
// cannot drift from them. Every error, including huma's own validation errors,
// unknown routes and panics, is an RFC 9457 problem carrying one of the
// contract's error codes (errors.go holds the one code → status table).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/metrics"
)

// AuthService is what the transport needs of package auth.
type AuthService interface {
	Register(ctx context.Context, username, email, password string) (*mangahub.User, error)
	Login(ctx context.Context, login, password string) (*auth.Session, error)
	Refresh(ctx context.Context, refreshToken string) (*auth.Session, error)
	Logout(ctx context.Context, refreshToken string) error
	// Authenticate returns CodeInvalidToken or CodeTokenExpired for a token
	// it does not accept.
	Authenticate(ctx context.Context, accessToken string) (mangahub.Identity, error)
	FindUser(ctx context.Context, id string) (*mangahub.User, error)
}

// CatalogService is what the transport needs of package catalog.
type CatalogService interface {
	// Search validates q; a zero Limit means the default page size.
	Search(ctx context.Context, q catalog.Query) ([]*mangahub.Manga, int, error)
	FindMangaByID(ctx context.Context, id int64) (*mangahub.Manga, error)
	CreateManga(ctx context.Context, m *mangahub.Manga) error
	UpdateManga(ctx context.Context, id int64, upd mangahub.MangaUpdate) (*mangahub.Manga, error)
	DeleteManga(ctx context.Context, id int64) error
	Genres(ctx context.Context) ([]*mangahub.Genre, error)
	CreateGenre(ctx context.Context, name string) (*mangahub.Genre, error)
	GenreManga(ctx context.Context, genreID int64, limit, offset int) ([]*mangahub.Manga, int, error)
	// Summaries returns the summaries of the manga with ids, by ID, in one
	// store call.
	Summaries(ctx context.Context, ids []int64) (map[int64]*mangahub.MangaSummary, error)
}

// ProgressService is what the transport needs of package progress.
type ProgressService interface {
	// Update reports whether the stored record changed, and why not. A
	// conflict carries the current state in Error.Progress; rate_limited
	// carries RetryAfter.
	Update(ctx context.Context, userID string, origin mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error)
	Get(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error)
	List(ctx context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error)
	Delete(ctx context.Context, userID string, origin mangahub.Origin, mangaID int64) error
}

// Readiness is the body of /readyz.
type Readiness struct {
	// Status is ok, degraded or unavailable; unavailable answers 503.
	Status     string         `json:"status" enum:"ok,degraded,unavailable"`
	Components map[string]any `json:"components"`
}

// Deps is everything the HTTP transport is built from.
type Deps struct {
	Auth     AuthService
	Catalog  CatalogService
	Progress ProgressService
	// Metrics may be nil in tests: the transport then reports to a private set.
	Metrics *metrics.Metrics
	// Logger may be nil (nothing is logged).
	Logger *slog.Logger
	// Ready answers /readyz; nil means always {"status":"ok"}.
	Ready func(ctx context.Context) Readiness
	// WebSocket, when non-nil, is mounted at GET /ws.
	WebSocket http.Handler
	// Web, when non-nil, serves the web page: GET / and GET /assets/*. It
	// sets its own headers (Content-Security-Policy and the like).
	Web http.Handler
	// AuthByAddr bounds register and login attempts per client address,
	// AuthByLogin failed logins per username; nil disables either.
	AuthByAddr, AuthByLogin mangahub.RateLimiter
	// Connections, when non-nil, answers GET /api/admin/connections.
	Connections Connections
	// Version is reported in the OpenAPI document.
	Version string
	// CatalogMaxAge is how long clients may reuse a catalog answer
	// (Cache-Control max-age), normally the catalog cache's TTL: the
	// server's own answers may be that stale when a change is not heard
	// of (catalog.Announce). Zero: clients revalidate every time
	// (no-cache).
	CatalogMaxAge time.Duration
	// OpsOnly serves just /healthz, /readyz, /metrics and /openapi.json:
	// a process running without the HTTP API service still reports its
	// health (CONTRACT.md §1). Auth, Catalog, Progress and WebSocket are
	// then unused and may be nil.
	OpsOnly bool
}

// server holds what the handlers share; it lives as long as the handler New
// returns.
type server struct {
	auth     AuthService
	catalog  CatalogService
	progress ProgressService
	metrics  *metrics.Metrics
	log      *slog.Logger
	ready    func(ctx context.Context) Readiness
	limits   authLimiter
	conns    Connections
	// catalogCache is the Cache-Control of catalog answers.
	catalogCache string
}

// New builds the HTTP handler: every route of CONTRACT.md §2, /healthz,
// /readyz, /metrics, /openapi.json and, when given, /ws.
func New(d Deps) http.Handler {
	installProblems()
	s := &server{
		auth:     d.Auth,
		catalog:  d.Catalog,
		progress: d.Progress,
		metrics:  d.Metrics,
		log:      d.Logger,
		ready:    d.Ready,
		limits:   authLimiter{byAddr: d.AuthByAddr, byLogin: d.AuthByLogin},
		conns:    d.Connections,

		catalogCache: catalogCacheControl(d.CatalogMaxAge),
	}
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ready == nil {
		s.ready = func(context.Context) Readiness {
			return Readiness{Status: "ok", Components: map[string]any{}}
		}
	}
	version := d.Version
	if version == "" {
		version = "dev"
	}
	r := chi.NewMux()
	s.routes(r, version, d)
	return r
}
