package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/mangahub/mangahub"
)

// reqState is what one request learns on its way through the handlers and
// the access log needs at the end. Handlers of one request run on one
// goroutine, so it needs no lock.
type reqState struct {
	id     string
	remote string // host part of RemoteAddr
	// operation is the API operation's ID (progress-update), when the
	// request reached one.
	operation string
	userID    string
	code      mangahub.ErrorCode
	cause     error
	stack     []byte
}

// fail records the problem a request is answered with; the first internal
// cause wins, so it is logged exactly once.
func (st *reqState) fail(p *problem) {
	st.code = p.Code
	if st.cause == nil && p.cause != nil {
		st.cause = p.cause
	}
}

type stateKey struct{}

// stateFrom returns the request's state, or a throwaway one outside a
// request (so callers never check for nil).
func stateFrom(ctx context.Context) *reqState {
	if st, ok := ctx.Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// observe is the outermost middleware: request id, security headers, panic
// recovery, the access log line and the latency histogram.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &reqState{id: requestID(r.Header.Get("X-Request-Id")), remote: clientHost(r.RemoteAddr)}
		h := w.Header()
		h.Set("X-Request-Id", st.id)
		h.Set("X-Content-Type-Options", "nosniff")
		// Tokens and private libraries must not land in shared caches.
		h.Set("Cache-Control", "no-store")
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				st.cause, st.stack = fmt.Errorf("panic: %v", v), debug.Stack()
				if ww.Status() == 0 {
					writeProblem(ww, r, newProblem(mangahub.CodeInternal, "internal error"))
				}
			}
			s.record(r, st, ww.Status(), time.Since(start))
		}()
		next.ServeHTTP(ww, r)
	})
}

// record writes the access log line and the latency observation.
func (s *server) record(r *http.Request, st *reqState, status int, latency time.Duration) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	route := "unmatched"
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		route = rc.RoutePattern()
	}
	method := methodLabel(r.Method)
	// An upgraded connection's lifetime is not a request latency.
	if status != http.StatusSwitchingProtocols {
		s.metrics.HTTPRequestDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(latency.Seconds())
	}
	switch status {
	case http.StatusUnauthorized:
		s.metrics.AuthFailures.WithLabelValues(transport).Inc()
	case http.StatusTooManyRequests:
		s.metrics.RateLimited.WithLabelValues(transport).Inc()
	}

	// One line per request at info, client mistakes (401, 404, 422, …)
	// included: they are the client's to fix, not the operator's, so they
	// are no warnings. Probes of the operations endpoints come every few
	// seconds and would drown the rest: debug, a 503 of /readyz included
	// (the outage behind it is logged where it happens). Server faults:
	// error.
	level := slog.LevelInfo
	switch {
	case st.stack != nil: // a panic, perhaps after the status was sent
		level = slog.LevelError
	case probe(route):
		level = slog.LevelDebug
	case status >= 500:
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	operation := st.operation
	if operation == "" {
		operation = method + " " + route
	}
	attrs := []slog.Attr{
		slog.String("request_id", st.id),
		slog.String("operation", operation),
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("latency_ms", float64(latency.Microseconds())/1000),
	}
	if st.userID != "" {
		attrs = append(attrs, slog.String("user_id", st.userID))
	}
	if st.code != "" {
		attrs = append(attrs, slog.String("code", string(st.code)))
	}
	if st.cause != nil {
		attrs = append(attrs, slog.String("err", st.cause.Error()))
	}
	if st.stack != nil {
		attrs = append(attrs, slog.String("stack", string(st.stack)))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// probe reports whether route is one that load balancers and scrapers poll.
func probe(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// transport is the label value of this transport in shared metrics.
const transport = "http"

// methodLabel keeps the method label's cardinality bounded: clients choose
// the method string.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// requestID keeps a caller's id when it is short and plain, so a request
// can be followed through a proxy; otherwise it makes a new one.
func requestID(in string) string {
	if in != "" && len(in) <= 64 && strings.IndexFunc(in, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0 {
		return in
	}
	return rand.Text()
}

// clientHost is the address rate limits are keyed by. X-Forwarded-For is
// not trusted: any client can set it.
func clientHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// limitBody caps request bodies at maxBodyBytes: at once when the length is
// declared, while reading otherwise.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			writeProblem(w, r, tooLarge())
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			assumeJSON(r)
		}
		next.ServeHTTP(w, r)
	})
}

// assumeJSON treats a body sent without a media type, or with the ones that
// curl -d and plain HTML-less clients put by default, as the JSON it must be:
// the API speaks nothing else, so refusing it would only punish the client.
// A malformed body is still answered with invalid_json.
func assumeJSON(r *http.Request) {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	switch strings.TrimSpace(strings.ToLower(ct)) {
	case "", "application/x-www-form-urlencoded", "text/plain":
		r.Header.Set("Content-Type", "application/json")
	}
}

type identityKey struct{}

// identityFrom returns who an authenticated operation acts for.
func identityFrom(ctx context.Context) mangahub.Identity {
	id, _ := ctx.Value(identityKey{}).(mangahub.Identity)
	return id
}

// metaAdmin marks operations only admins may call.
const metaAdmin = "admin"

// authenticate guards every operation that declares the bearer security
// scheme, before its input is read: a stranger learns nothing about what a
// valid request would look like.
func (s *server) authenticate(api huma.API) func(ctx huma.Context, next func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		stateFrom(ctx.Context()).operation = op.OperationID
		if len(op.Security) == 0 {
			next(ctx)
			return
		}
		token, err := bearerToken(ctx.Header("Authorization"))
		if err != nil {
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "", err)
			return
		}
		id, err := s.auth.Authenticate(ctx.Context(), token)
		if err != nil {
			if mangahub.IsCode(err, mangahub.CodeNotFound) {
				err = mangahub.Errorf(mangahub.CodeInvalidToken, "invalid access token")
			}
			_ = huma.WriteErr(api, ctx, http.StatusUnauthorized, "", err)
			return
		}
		stateFrom(ctx.Context()).userID = id.UserID
		if admin, _ := op.Metadata[metaAdmin].(bool); admin && !id.IsAdmin() {
			_ = huma.WriteErr(api, ctx, http.StatusForbidden, "",
				mangahub.Errorf(mangahub.CodeForbidden, "this operation needs an admin account"))
			return
		}
		next(huma.WithValue(ctx, identityKey{}, id))
	}
}

// bearerToken extracts the token of an "Authorization: Bearer …" header.
// The scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(header string) (string, error) {
	if header == "" {
		return "", mangahub.Errorf(mangahub.CodeUnauthenticated, "missing Authorization: Bearer <access token>")
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", mangahub.Errorf(mangahub.CodeInvalidToken, "the Authorization header must be Bearer <access token>")
	}
	return token, nil
}
