package httpapi

import (
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mangahub/mangahub"
)

// routes declares every route of the HTTP address, in one place.
func (s *server) routes(r *chi.Mux, version string, d Deps) {
	r.Use(s.observe, limitBody)
	r.NotFound(s.handleNotFound)
	r.MethodNotAllowed(s.handleMethodNotAllowed(r))

	api := humachi.New(r, apiConfig(version))
	api.UseMiddleware(s.authenticate(api))
	if !d.OpsOnly {
		s.apiRoutes(api)
		if d.WebSocket != nil {
			r.Method(http.MethodGet, "/ws", d.WebSocket)
			api.OpenAPI().AddOperation(&huma.Operation{
				OperationID: "websocket", Method: http.MethodGet, Path: "/ws", Tags: []string{"sync"},
				Summary:   "WebSocket sync connection (protocol v1, see docs/protocol.md)",
				Responses: map[string]*huma.Response{"101": {Description: "Switching Protocols"}},
			})
		}
		if d.Web != nil {
			// The page and its files (CONTRACT.md §5); not part of the API
			// document.
			for _, path := range []string{"/", "/assets/*"} {
				r.Method(http.MethodGet, path, d.Web)
				r.Method(http.MethodHead, path, d.Web)
			}
		}
	}
	s.opsRoutes(api, r)
	describeResponses(api.OpenAPI())
}

// describeResponses adds to the document what huma cannot infer: the
// Retry-After header of every 429, and words for the answers every route
// may give.
func describeResponses(doc *huma.OpenAPI) {
	for _, item := range doc.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op == nil {
				continue
			}
			for code, res := range op.Responses {
				switch code {
				case "405":
					res.Description = "Method Not Allowed: the route exists but not with this method (method_not_allowed); the Allow header lists its methods."
					res.Headers = map[string]*huma.Param{"Allow": {
						Description: "The methods of this route, such as GET, POST.",
						Schema:      &huma.Schema{Type: huma.TypeString},
					}}
				case "422":
					res.Description = "Unprocessable Entity (validation_failed): errors lists every problem of the input at once, each with its field; detail joins them."
				case "429":
					res.Description = "Too Many Requests (rate_limited): retry after the Retry-After header's seconds (retry_after_ms in the body, in milliseconds)."
					res.Headers = map[string]*huma.Param{"Retry-After": {
						Description: "Seconds to wait before retrying, at least 1.",
						Schema:      &huma.Schema{Type: huma.TypeInteger, Minimum: ptr(1.0)},
					}}
				case "503":
					res.Description = "Service Unavailable (unavailable): a dependency such as the database is down; retry later."
				}
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// apiRoutes declares the JSON API of CONTRACT.md §2.
func (s *server) apiRoutes(api huma.API) {
	// Auth (CONTRACT.md §2 "Auth").
	huma.Register(api, public(huma.Operation{
		OperationID: "auth-register", Method: http.MethodPost, Path: "/auth/register", Tags: []string{"auth"},
		Summary: "Create an account", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests},
	}), s.handleAuthRegister)
	huma.Register(api, public(huma.Operation{
		OperationID: "auth-login", Method: http.MethodPost, Path: "/auth/login", Tags: []string{"auth"},
		Summary: "Log in with a username or email and a password",
		Errors:  []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests},
	}), s.handleAuthLogin)
	huma.Register(api, public(huma.Operation{
		OperationID: "auth-refresh", Method: http.MethodPost, Path: "/auth/refresh", Tags: []string{"auth"},
		Summary: "Trade a refresh token for new tokens; the old refresh token stops working",
		Errors:  []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge},
	}), s.handleAuthRefresh)
	huma.Register(api, public(huma.Operation{
		OperationID: "auth-logout", Method: http.MethodPost, Path: "/auth/logout", Tags: []string{"auth"},
		Summary: "Revoke a refresh token", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge},
	}), s.handleAuthLogout)
	huma.Register(api, user(huma.Operation{
		OperationID: "me-get", Method: http.MethodGet, Path: "/api/me", Tags: []string{"auth"},
		Summary: "The authenticated account",
	}), s.handleMeGet)

	// Catalog.
	huma.Register(api, user(huma.Operation{
		OperationID: "manga-list", Method: http.MethodGet, Path: "/api/manga", Tags: []string{"catalog"},
		Summary: "Search and list the catalog", Responses: notModifiedResponse(),
	}), s.handleMangaList)
	huma.Register(api, user(huma.Operation{
		OperationID: "manga-search", Method: http.MethodGet, Path: "/api/manga/search", Tags: []string{"catalog"},
		Summary: "Search the catalog (alias of GET /api/manga)", Responses: notModifiedResponse(),
	}), s.handleMangaList)
	huma.Register(api, user(huma.Operation{
		OperationID: "manga-get", Method: http.MethodGet, Path: "/api/manga/{id}", Tags: []string{"catalog"},
		Summary: "One manga", Errors: []int{http.StatusNotFound}, Responses: notModifiedResponse(),
	}), s.handleMangaGet)
	huma.Register(api, admin(huma.Operation{
		OperationID: "manga-create", Method: http.MethodPost, Path: "/api/manga", Tags: []string{"catalog"},
		Summary: "Add a manga (admin)", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge},
	}), s.handleMangaCreate)
	huma.Register(api, admin(huma.Operation{
		OperationID: "manga-update", Method: http.MethodPut, Path: "/api/manga/{id}", Tags: []string{"catalog"},
		Summary: "Change some fields of a manga (admin); absent fields are left alone",
		Errors:  []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge},
	}), s.handleMangaUpdate)
	huma.Register(api, admin(huma.Operation{
		OperationID: "manga-delete", Method: http.MethodDelete, Path: "/api/manga/{id}", Tags: []string{"catalog"},
		Summary: "Remove a manga and the progress that refers to it (admin)", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound},
	}), s.handleMangaDelete)
	huma.Register(api, user(huma.Operation{
		OperationID: "genre-list", Method: http.MethodGet, Path: "/api/genres", Tags: []string{"catalog"},
		Summary: "Every genre with its number of manga", Responses: notModifiedResponse(),
	}), s.handleGenreList)
	huma.Register(api, admin(huma.Operation{
		OperationID: "genre-create", Method: http.MethodPost, Path: "/api/genres", Tags: []string{"catalog"},
		Summary: "Add a genre (admin)", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge},
	}), s.handleGenreCreate)
	huma.Register(api, user(huma.Operation{
		OperationID: "genre-manga-list", Method: http.MethodGet, Path: "/api/genres/{id}/manga", Tags: []string{"catalog"},
		Summary: "The manga of one genre", Errors: []int{http.StatusNotFound}, Responses: notModifiedResponse(),
	}), s.handleGenreMangaList)

	// Reading progress.
	huma.Register(api, user(huma.Operation{
		OperationID: "progress-list", Method: http.MethodGet, Path: "/api/progress", Tags: []string{"progress"},
		Summary: "The user's library, most recently updated first",
	}), s.handleProgressList)
	huma.Register(api, user(huma.Operation{
		OperationID: "progress-get", Method: http.MethodGet, Path: "/api/progress/{manga_id}", Tags: []string{"progress"},
		Summary: "The user's progress on one manga", Errors: []int{http.StatusNotFound},
	}), s.handleProgressGet)
	huma.Register(api, user(huma.Operation{
		OperationID: "progress-update", Method: http.MethodPost, Path: "/api/progress", Tags: []string{"progress"},
		Summary: "Record reading progress",
		Description: "Answers {progress, applied}. A lower chapter than stored is not applied unless force is set; " +
			"a conflict (expected_version mismatch) carries the current progress.",
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests},
	}), s.handleProgressUpdate)
	huma.Register(api, user(huma.Operation{
		OperationID: "progress-delete", Method: http.MethodDelete, Path: "/api/progress/{manga_id}", Tags: []string{"progress"},
		Summary: "Remove a manga from the user's library", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusTooManyRequests},
	}), s.handleProgressDelete)

	// Operations (admin).
	huma.Register(api, admin(huma.Operation{
		OperationID: "admin-connections", Method: http.MethodGet, Path: "/api/admin/connections", Tags: []string{"operations"},
		Summary: "Live sync connections per user on the instance that answers (admin)",
	}), s.handleAdminConnections)

	describeDomainTypes(api.OpenAPI().Components.Schemas)
}

// opsRoutes declares what every process serves, whichever services it runs.
func (s *server) opsRoutes(api huma.API, r *chi.Mux) {
	huma.Register(api, huma.Operation{
		OperationID: "health", Method: http.MethodGet, Path: "/healthz", Tags: []string{"operations"},
		Summary: "Liveness: 200 while the process runs",
	}, s.handleHealthGet)
	huma.Register(api, huma.Operation{
		OperationID: "ready", Method: http.MethodGet, Path: "/readyz", Tags: []string{"operations"},
		Summary:   "Readiness of each component; 503 when the service cannot serve",
		Responses: map[string]*huma.Response{"503": {Description: "Unavailable (same body)"}},
	}, s.handleReadyGet)

	// Not JSON, so served by chi directly; documented for completeness.
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	api.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "metrics", Method: http.MethodGet, Path: "/metrics", Tags: []string{"operations"},
		Summary: "Prometheus metrics (text exposition format)",
		Responses: map[string]*huma.Response{"200": {
			Description: "Prometheus text format",
			Content:     map[string]*huma.MediaType{"text/plain": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
	})
}

// apiConfig is huma's configuration: OpenAPI 3.1 at /openapi.json, JSON
// only, no docs UI (it would load scripts from a CDN), no $schema links in
// bodies (responses are exactly the contract's shapes).
func apiConfig(version string) huma.Config {
	cfg := huma.Config{
		OpenAPI: &huma.OpenAPI{
			OpenAPI: "3.1.0",
			Info: &huma.Info{
				Title:       "MangaHub API",
				Version:     version,
				Description: "Manga catalog and reading-progress tracker. Errors are RFC 9457 problems with a stable code.",
			},
			Components: &huma.Components{
				Schemas: huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer),
				SecuritySchemes: map[string]*huma.SecurityScheme{
					bearerScheme: {Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "Access token from /auth/login or /auth/refresh."},
				},
			},
		},
		OpenAPIPath:   "/openapi",
		Formats:       map[string]huma.Format{"application/json": huma.DefaultJSONFormat, "json": huma.DefaultJSONFormat},
		DefaultFormat: "application/json",
	}
	// Clients may send fields this version does not know (newer clients,
	// extra metadata): they are ignored, not refused.
	cfg.AllowAdditionalPropertiesByDefault = true
	return cfg
}

const bearerScheme = "bearer"

// describeDomainTypes adds to the schemas huma derived from the root
// package's types what their Go types cannot say (the root package carries
// no huma tags): the closed sets of statuses, and that genres is never null.
func describeDomainTypes(reg huma.Registry) {
	schemas := reg.Map()
	if m, ok := schemas["Manga"]; ok {
		if p := m.Properties["alt_titles"]; p != nil {
			p.Description = "Other names the series is known by (the romanized original, abbreviations); search matches them like the title."
		}
		for _, name := range []string{"genres", "alt_titles"} {
			if p := m.Properties[name]; p != nil {
				p.Nullable = false
			}
		}
		if st := m.Properties["status"]; st != nil {
			st.Enum = []any{"ongoing", "completed", "hiatus", "cancelled"}
		}
	}
	for _, name := range []string{"Progress", "LibraryItem"} {
		if p, ok := schemas[name]; ok {
			if st := p.Properties["status"]; st != nil {
				st.Enum = []any{"reading", "completed", "plan_to_read", "on_hold", "dropped", "re_reading"}
			}
		}
	}
}

// notModifiedResponse documents the 304 of the catalog's conditional GETs (see
// caching.go); huma adds the 200 from the output type.
func notModifiedResponse() map[string]*huma.Response {
	return map[string]*huma.Response{"304": {
		Description: "Not Modified: the If-None-Match header names the current ETag; no body.",
		Headers: map[string]*huma.Param{
			"ETag":          {Description: "The current tag.", Schema: &huma.Schema{Type: huma.TypeString}},
			"Cache-Control": {Description: "private, max-age=N (N: the server's catalog cache TTL in seconds) or private, no-cache.", Schema: &huma.Schema{Type: huma.TypeString}},
		},
	}}
}

// public is an operation anyone may call. Every operation may answer 405
// (a wrong method on its path) and 503 (a dependency down).
func public(op huma.Operation) huma.Operation {
	op.Errors = append(op.Errors, http.StatusMethodNotAllowed, http.StatusServiceUnavailable)
	// huma refuses a body that reaches its limit, so allow one byte more:
	// limitBody already refuses anything beyond maxBodyBytes.
	op.MaxBodyBytes = maxBodyBytes + 1
	return op
}

// user is an operation for any authenticated account.
func user(op huma.Operation) huma.Operation {
	op = public(op)
	op.Security = []map[string][]string{{bearerScheme: {}}}
	op.Errors = append(op.Errors, http.StatusUnauthorized)
	return op
}

// admin is an operation for admin accounts only.
func admin(op huma.Operation) huma.Operation {
	op = user(op)
	op.Errors = append(op.Errors, http.StatusForbidden)
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaAdmin] = true
	return op
}

func (s *server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, problemFromHuma(http.StatusNotFound, "", nil))
}

// handleMethodNotAllowed answers 405 method_not_allowed with the Allow
// header (RFC 9110 §15.5.6): a custom handler does not get chi's list of
// the route's methods, so it asks the router.
func (s *server) handleMethodNotAllowed(mux *chi.Mux) http.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if r.URL.RawPath != "" {
			path = r.URL.RawPath // what chi routes by
		}
		var allow []string
		for _, m := range methods {
			if mux.Match(chi.NewRouteContext(), m, path) {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p := newProblem(mangahub.CodeMethodNotAllowed, r.Method+" is not allowed on this route; allowed: "+strings.Join(allow, ", "))
		writeProblem(w, r, p)
	}
}
