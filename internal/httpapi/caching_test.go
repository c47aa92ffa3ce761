package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// getIfNoneMatch is a GET as the ordinary user revalidating a copy.
func (e *env) getIfNoneMatch(t *testing.T, path, etag string) response {
	t.Helper()
	return send(t, e.h, request{method: http.MethodGet, path: path, token: e.userToken,
		header: map[string]string{"If-None-Match": etag}})
}

// wantCacheable checks a catalog answer's caching headers and returns its
// ETag.
func wantCacheable(t *testing.T, r response, cacheControl string) string {
	t.Helper()
	if got := r.Header.Get("Cache-Control"); got != cacheControl {
		t.Errorf("Cache-Control = %q, want %q", got, cacheControl)
	}
	etag := r.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) || !strings.HasSuffix(etag, `"`) {
		t.Fatalf("ETag = %q, want a weak tag", etag)
	}
	return etag
}

func TestCatalogAnswersRevalidate(t *testing.T) {
	e := newEnv(t, envOptions{catalogTTL: 5 * time.Second})
	m := e.createManga(t, map[string]any{"title": "Frieren", "genres": []string{"Fantasy"}})
	const cc = "private, max-age=5"
	for _, path := range []string{
		mangaPath(m.ID), "/api/manga?q=frieren", "/api/manga/search?q=frieren", "/api/manga", "/api/genres",
	} {
		t.Run(path, func(t *testing.T) {
			first := e.get(t, path).wantStatus(t, http.StatusOK)
			etag := wantCacheable(t, first, cc)
			again := e.getIfNoneMatch(t, path, etag).wantStatus(t, http.StatusNotModified)
			if len(again.Body) != 0 {
				t.Errorf("304 with a body: %s", again.Body)
			}
			if got := wantCacheable(t, again, cc); got != etag {
				t.Errorf("304's ETag %q, want %q", got, etag)
			}
			for _, other := range []string{`W/"stale"`, `"` + strings.Trim(strings.TrimPrefix(etag, "W/"), `"`) + `x"`} {
				e.getIfNoneMatch(t, path, other).wantStatus(t, http.StatusOK)
			}
			// A list of tags, the current one strong, and "*" match too.
			e.getIfNoneMatch(t, path, `W/"other", `+strings.TrimPrefix(etag, "W/")).wantStatus(t, http.StatusNotModified)
			e.getIfNoneMatch(t, path, "*").wantStatus(t, http.StatusNotModified)
		})
	}
}

// Every catalog write changes the tags of the answers it changes, so a
// client's revalidation gets the new state at once.
func TestCatalogWritesChangeETags(t *testing.T) {
	e := newEnv(t, envOptions{catalogTTL: time.Hour})
	m := e.createManga(t, map[string]any{"title": "Frieren", "genres": []string{"Fantasy"}})
	paths := []string{mangaPath(m.ID), "/api/manga?q=frieren", "/api/genres"}
	tags := make(map[string]string)
	for _, p := range paths {
		tags[p] = e.get(t, p).wantStatus(t, http.StatusOK).Header.Get("ETag")
	}
	send(t, e.h, request{method: http.MethodPut, path: mangaPath(m.ID), token: e.adminToken,
		body: map[string]any{"title": "Frieren: Beyond Journey's End", "genres": []string{"Fantasy", "Drama"}}}).
		wantStatus(t, http.StatusOK)
	for _, p := range paths {
		r := e.getIfNoneMatch(t, p, tags[p]).wantStatus(t, http.StatusOK)
		if r.Header.Get("ETag") == tags[p] {
			t.Errorf("%s: ETag %s unchanged by the update", p, tags[p])
		}
		if p == mangaPath(m.ID) {
			var got manga
			r.decode(t, &got)
			if got.Title != "Frieren: Beyond Journey's End" || len(got.Genres) != 2 {
				t.Errorf("after the update: %+v", got)
			}
		}
	}
	// A new manga changes the listing it joins.
	list := e.get(t, "/api/manga").Header.Get("ETag")
	e.createManga(t, map[string]any{"title": "Dungeon Meshi"})
	e.getIfNoneMatch(t, "/api/manga", list).wantStatus(t, http.StatusOK)
}

func TestCatalogWithoutMaxAgeRevalidates(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Frieren"})
	etag := wantCacheable(t, e.get(t, mangaPath(m.ID)), "private, no-cache")
	e.getIfNoneMatch(t, mangaPath(m.ID), etag).wantStatus(t, http.StatusNotModified)
}

// The library and the account are private to a user and change with every
// update: never stored, never tagged.
func TestPrivateAnswersAreNotCached(t *testing.T) {
	e := newEnv(t, envOptions{catalogTTL: time.Hour})
	m := e.createManga(t, map[string]any{"title": "Frieren"})
	send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
		body: map[string]any{"manga_id": m.ID, "chapter": 3}}).wantStatus(t, http.StatusOK)
	for _, path := range []string{"/api/progress", "/api/progress/" + itoa(m.ID), "/api/me"} {
		r := e.get(t, path).wantStatus(t, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
		if etag := r.Header.Get("ETag"); etag != "" {
			t.Errorf("%s: ETag %q on a private answer", path, etag)
		}
	}
	// Errors of catalog routes are not cached either.
	r := e.get(t, mangaPath(m.ID+1000)).wantStatus(t, http.StatusNotFound)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("404: Cache-Control %q, want no-store", cc)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
