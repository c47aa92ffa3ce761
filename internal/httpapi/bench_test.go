package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/storetest"
)

// The hot read routes through the whole handler (routing, authentication,
// the services, embedded SQLite, encoding), as a client reaches them, with
// the sample catalog and a library of 20 entries, and the catalog and
// library caches as serve configures them by default (without Redis). Allocations per request are the figure
// to watch: they are most of the CPU a request costs beyond the database.

// benchCatalogTTL is MANGAHUB_CATALOG_CACHE_TTL's default.
const benchCatalogTTL = 5 * time.Second

// benchLibraryTTL is MANGAHUB_LIBRARY_CACHE_TTL's default. The benchmark's
// clock is the real one: a run longer than this refills the library once
// per period, as a server does.
const benchLibraryTTL = 5 * time.Second

func BenchmarkHandlerMangaByID(b *testing.B) { benchRoute(b, "/api/manga/%d", benchCatalogTTL) }

// BenchmarkHandlerMangaByIDUncached reads the database on every request.
func BenchmarkHandlerMangaByIDUncached(b *testing.B) { benchRoute(b, "/api/manga/%d", 0) }

func BenchmarkHandlerMangaList(b *testing.B) { benchRoute(b, "/api/manga", benchCatalogTTL) }

func BenchmarkHandlerMangaSearch(b *testing.B) {
	benchRoute(b, "/api/manga?q=dragon", benchCatalogTTL)
}

func BenchmarkHandlerProgressList(b *testing.B) { benchRoute(b, "/api/progress", benchCatalogTTL) }

// benchRoute measures GET path as the ordinary user; a %d in path is
// replaced by the ID of a seeded manga.
func benchRoute(b *testing.B, path string, catalogTTL time.Duration) {
	e := benchEnv(b, catalogTTL)
	r := httptest.NewRequest(http.MethodGet, expand(path, e.benchMangaID), nil)
	r.Header.Set("Authorization", "Bearer "+e.userToken)
	check := httptest.NewRecorder()
	e.h.ServeHTTP(check, r)
	if check.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", r.URL, check.Code, check.Body)
	}
	benchRequests(b, e.h, r)
}

// benchRequests measures h answering r, which must succeed.
func benchRequests(b *testing.B, h http.Handler, r *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", r.URL, w.Code)
		}
	}
}

func expand(path string, id int64) string {
	if id > 0 && len(path) > 2 && path[len(path)-2:] == "%d" {
		return fmt.Sprintf(path, id)
	}
	return path
}

type benchEnvironment struct {
	*env
	benchMangaID int64
}

// benchEnv is the test environment with the sample catalog and 20 library
// entries for the ordinary user.
func benchEnv(b *testing.B, catalogTTL time.Duration) benchEnvironment {
	b.Helper()
	e := newEnv(b, envOptions{catalogTTL: catalogTTL, libraryTTL: benchLibraryTTL})
	ctx := context.Background()
	if _, err := e.catalog.SeedIfEmpty(ctx); err != nil {
		b.Fatalf("seed: %v", err)
	}
	page, _, err := e.catalog.Search(ctx, catalog.Query{Limit: 40})
	if err != nil || len(page) < 20 {
		b.Fatalf("catalog: %d manga, %v", len(page), err)
	}
	for _, m := range page[:20] {
		send(b, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
			body: map[string]any{"manga_id": m.ID, "chapter": 1}}).wantStatus(b, http.StatusOK)
	}
	return benchEnvironment{env: e, benchMangaID: page[0].ID}
}

// BenchmarkHandlerMangaSearchLarge searches a catalog of 20,000 generated
// manga for a word about 7 % of them hold, answered from the search index.
func BenchmarkHandlerMangaSearchLarge(b *testing.B) {
	e := newEnv(b, envOptions{catalogTTL: time.Hour})
	if _, err := e.catalog.Import(context.Background(), storetest.GenerateManga(20_000)); err != nil {
		b.Fatalf("import: %v", err)
	}
	r := httptest.NewRequest(http.MethodGet, "/api/manga?q=dragon", nil)
	r.Header.Set("Authorization", "Bearer "+e.userToken)
	e.h.ServeHTTP(httptest.NewRecorder(), r) // starts the index build
	e.catalog.WaitIndexing()
	benchRequests(b, e.h, r)
}
