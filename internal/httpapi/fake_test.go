package httpapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/httpapi"
	"github.com/mangahub/mangahub/internal/metrics"
)

// Fakes stand in for the services where a test needs a failure no real
// service produces on demand: driver errors, panics, outages.

// fakeAuth accepts the tokens "user-token" and "admin-token".
type fakeAuth struct{}

func (fakeAuth) Register(context.Context, string, string, string) (*mangahub.User, error) {
	return nil, errors.New("sqlite: database is locked (SQL: INSERT INTO users)")
}

func (fakeAuth) Login(context.Context, string, string) (*auth.Session, error) {
	return nil, mangahub.Unavailable(errors.New("pq: connection refused"))
}

func (fakeAuth) Refresh(context.Context, string) (*auth.Session, error) {
	return nil, mangahub.Errorf(mangahub.CodeInvalidToken, "invalid refresh token")
}

func (fakeAuth) Logout(context.Context, string) error { return nil }

func (fakeAuth) Authenticate(_ context.Context, token string) (mangahub.Identity, error) {
	switch token {
	case "user-token":
		return mangahub.Identity{UserID: "11111111-1111-1111-1111-111111111111", Username: "reader", Role: mangahub.RoleUser}, nil
	case "admin-token":
		return mangahub.Identity{UserID: "22222222-2222-2222-2222-222222222222", Username: "boss", Role: mangahub.RoleAdmin}, nil
	case "expired":
		return mangahub.Identity{}, mangahub.Errorf(mangahub.CodeTokenExpired, "access token expired")
	}
	return mangahub.Identity{}, mangahub.Errorf(mangahub.CodeInvalidToken, "invalid access token")
}

func (fakeAuth) FindUser(context.Context, string) (*mangahub.User, error) {
	panic("boom: nil map in FindUser")
}

// fakeCatalog fails in the ways a broken database does.
type fakeCatalog struct{ httpapi.CatalogService }

func (fakeCatalog) Search(context.Context, catalog.Query) ([]*mangahub.Manga, int, error) {
	return nil, 0, mangahub.Internal(errors.New(`sqlite: SQL logic error: near "SELEC": syntax error`))
}

func (fakeCatalog) FindMangaByID(_ context.Context, id int64) (*mangahub.Manga, error) {
	if id == 1 {
		return &mangahub.Manga{ID: 1, Title: "No genres"}, nil // Genres nil on purpose
	}
	return nil, mangahub.Errorf(mangahub.CodeNotFound, "manga %d not found", id)
}

// fakeProgress answers every update with a conflict or a rate limit.
type fakeProgress struct{ httpapi.ProgressService }

func (fakeProgress) Update(_ context.Context, _ string, _ mangahub.Origin, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error) {
	if upd.MangaID == 429 {
		return mangahub.ProgressResult{}, &mangahub.Error{Code: mangahub.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond}
	}
	return mangahub.ProgressResult{}, mangahub.ProgressConflict("expected_version does not match", nil)
}

type fakeEnv struct {
	h       http.Handler
	metrics *metrics.Metrics
	logs    *syncBuffer
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	e := &fakeEnv{metrics: metrics.New(), logs: &syncBuffer{}}
	e.h = httpapi.New(httpapi.Deps{
		Auth:     fakeAuth{},
		Catalog:  fakeCatalog{},
		Progress: fakeProgress{},
		Metrics:  e.metrics,
		Logger:   slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready: func(context.Context) httpapi.Readiness {
			return httpapi.Readiness{Status: "unavailable", Components: map[string]any{"database": map[string]any{"status": "down"}}}
		},
		WebSocket: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}),
		Version: "test",
	})
	return e
}
