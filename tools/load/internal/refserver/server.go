package refserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Server holds the data and serves the three reads.
type Server struct {
	secret []byte

	mu       sync.RWMutex
	manga    map[int64]*Manga
	keys     map[int64]keys
	progress map[string]map[int64]*Progress // user ID → manga ID → entry
	users    map[string]bool
}

// New returns an empty server that accepts access tokens signed with secret.
func New(secret []byte) *Server {
	return &Server{
		secret:   secret,
		manga:    map[int64]*Manga{},
		keys:     map[int64]keys{},
		progress: map[string]map[int64]*Progress{},
		users:    map[string]bool{},
	}
}

// PutManga adds or replaces a manga.
func (s *Server) PutManga(m *Manga) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manga[m.ID] = m
	s.keys[m.ID] = newKeys(m)
}

// PutUser makes a user known, with its library.
func (s *Server) PutUser(userID string, library []*Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[userID] = true
	entries := map[int64]*Progress{}
	for _, p := range library {
		entries[p.MangaID] = p
	}
	s.progress[userID] = entries
}

// Counts says how much data the server holds.
func (s *Server) Counts() (manga, users int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.manga), len(s.users)
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/manga/{id}", s.authed(s.handleMangaGet))
	mux.HandleFunc("GET /api/manga", s.authed(s.handleMangaList))
	mux.HandleFunc("GET /api/progress", s.authed(s.handleProgressList))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

type claims struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	Type     string `json:"type"`
	jwt.RegisteredClaims
}

type ctxKey struct{}

// authed checks the bearer token on every request, as the contract asks:
// HS256 only, issuer mangahub, an access token, unexpired, of a known user.
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeProblem(w, http.StatusUnauthorized, "unauthenticated")
			return
		}
		var c claims
		_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.secret, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("mangahub"), jwt.WithExpirationRequired())
		s.mu.RLock()
		known := s.users[c.UserID]
		s.mu.RUnlock()
		if err != nil || c.Type != "access" || !known {
			writeProblem(w, http.StatusUnauthorized, "invalid_token")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c.UserID)))
	}
}

func (s *Server) handleMangaGet(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeProblem(w, http.StatusNotFound, "not_found")
		return
	}
	s.mu.RLock()
	m, ok := s.manga[id]
	s.mu.RUnlock()
	if !ok {
		writeProblem(w, http.StatusNotFound, "not_found")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// handleMangaList is search (q) or the title-ordered list; the other
// filters of the contract are not needed by the measurements.
func (s *Server) handleMangaList(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := page(r)
	if !ok {
		writeProblem(w, http.StatusUnprocessableEntity, "validation_failed")
		return
	}
	ts := terms(r.URL.Query().Get("q"))
	type hit struct {
		m     *Manga
		k     keys
		whole bool
		score int
	}
	s.mu.RLock()
	hits := make([]hit, 0, len(s.manga))
	for id, m := range s.manga {
		k := s.keys[id]
		if !k.matches(ts) {
			continue
		}
		h := hit{m: m, k: k}
		if len(ts) > 0 {
			h.whole, h.score = k.rank(ts)
		}
		hits = append(hits, h)
	}
	s.mu.RUnlock()
	slices.SortFunc(hits, func(a, b hit) int {
		if a.whole != b.whole {
			if a.whole {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.score, b.score), strings.Compare(a.k.title, b.k.title), cmp.Compare(a.m.ID, b.m.ID))
	})
	items := []*Manga{}
	for _, h := range hits[min(offset, len(hits)):min(offset+limit, len(hits))] {
		items = append(items, h.m)
	}
	writeJSON(w, http.StatusOK, Page[*Manga]{Items: items, Total: len(hits), Limit: limit, Offset: offset})
}

func (s *Server) handleProgressList(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := page(r)
	if !ok {
		writeProblem(w, http.StatusUnprocessableEntity, "validation_failed")
		return
	}
	user := r.Context().Value(ctxKey{}).(string)
	s.mu.RLock()
	items := make([]ProgressItem, 0, len(s.progress[user]))
	for _, p := range s.progress[user] {
		m := s.manga[p.MangaID]
		ref := MangaRef{ID: p.MangaID}
		if m != nil {
			ref = MangaRef{ID: m.ID, Slug: m.Slug, Title: m.Title, TotalChapters: m.TotalChapters, CoverURL: m.CoverURL}
		}
		items = append(items, ProgressItem{Progress: *p, Manga: ref})
	}
	s.mu.RUnlock()
	// Most recently updated first, as the contract says.
	slices.SortFunc(items, func(a, b ProgressItem) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(a.MangaID, b.MangaID))
	})
	total := len(items)
	items = items[min(offset, total):min(offset+limit, total)]
	writeJSON(w, http.StatusOK, Page[ProgressItem]{Items: items, Total: total, Limit: limit, Offset: offset})
}

// page reads limit (1–100, default 20) and offset (≥ 0).
func page(r *http.Request) (limit, offset int, ok bool) {
	limit, offset = 20, 0
	q := r.URL.Query()
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 100 {
			return 0, 0, false
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, false
		}
	}
	return limit, offset, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "code": code})
}

// Serve serves on the handler until ctx ends.
func (s *Server) Serve(ctx context.Context, srv *http.Server) error {
	srv.Handler = s.Handler()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
