package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/ratelimit"
)

type loginBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	UserID       string `json:"user_id"`
	Username     string `json:"username"`
}

func TestAuthFlow(t *testing.T) {
	e := newEnv(t, envOptions{})
	post := func(path string, body any) response {
		t.Helper()
		return send(t, e.h, request{method: http.MethodPost, path: path, body: body})
	}

	// Register: 201 with exactly the contract's fields.
	res := post("/auth/register", map[string]string{"username": "alice", "email": "alice@example.com", "password": "wonderland", "ignored": "x"})
	res.wantStatus(t, http.StatusCreated)
	var created map[string]any
	res.decode(t, &created)
	if len(created) != 4 || created["username"] != "alice" || created["email"] != "alice@example.com" ||
		created["user_id"] == "" || created["created_at"] == nil {
		t.Fatalf("register body = %s", res.Body)
	}

	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"username taken", map[string]any{"username": "ALICE", "email": "other@example.com", "password": "wonderland"}, 409, "username_taken"},
		{"email taken", map[string]any{"username": "alice2", "email": "alice@example.com", "password": "wonderland"}, 409, "email_taken"},
		{"username too short", map[string]any{"username": "al", "email": "al@example.com", "password": "wonderland"}, 422, "validation_failed"},
		{"username bad characters", map[string]any{"username": "al ice'; --", "email": "al@example.com", "password": "wonderland"}, 422, "validation_failed"},
		{"password too short", map[string]any{"username": "bob", "email": "bob@example.com", "password": "short"}, 422, "validation_failed"},
		{"password too long", map[string]any{"username": "bob", "email": "bob@example.com", "password": strings.Repeat("p", 73)}, 422, "validation_failed"},
		{"bad email", map[string]any{"username": "bob", "email": "not-an-email", "password": "wonderland"}, 422, "validation_failed"},
		{"missing email", map[string]any{"username": "bob", "password": "wonderland"}, 422, "validation_failed"},
		{"wrong type", map[string]any{"username": 42, "email": "bob@example.com", "password": "wonderland"}, 422, "validation_failed"},
	} {
		t.Run("register "+tt.name, func(t *testing.T) {
			post("/auth/register", tt.body).wantProblem(t, tt.status, tt.code)
		})
	}

	// Login by username and by email, case-insensitively.
	var sess loginBody
	for _, login := range []string{"alice", "Alice@Example.com"} {
		res = post("/auth/login", map[string]string{"username": login, "password": "wonderland"}).wantStatus(t, http.StatusOK)
		var all map[string]any
		res.decode(t, &all)
		if len(all) != 6 {
			t.Errorf("login body has %d fields, want 6: %s", len(all), res.Body)
		}
		res.decode(t, &sess)
		if sess.AccessToken == "" || sess.RefreshToken == "" || sess.TokenType != "Bearer" ||
			sess.ExpiresIn != 900 || sess.UserID != created["user_id"] || sess.Username != "alice" {
			t.Fatalf("login body = %s", res.Body)
		}
	}
	post("/auth/login", map[string]string{"username": "alice", "password": "wrong password"}).wantProblem(t, 401, "invalid_credentials")
	post("/auth/login", map[string]string{"username": "nobody", "password": "wonderland"}).wantProblem(t, 401, "invalid_credentials")

	// /api/me with the new token.
	res = send(t, e.h, request{method: http.MethodGet, path: "/api/me", token: sess.AccessToken}).wantStatus(t, http.StatusOK)
	var me map[string]any
	res.decode(t, &me)
	if len(me) != 5 || me["user_id"] != sess.UserID || me["username"] != "alice" || me["email"] != "alice@example.com" ||
		me["role"] != "user" || me["created_at"] == nil {
		t.Fatalf("me = %s", res.Body)
	}
	res = send(t, e.h, request{method: http.MethodGet, path: "/api/me", token: e.adminToken}).wantStatus(t, http.StatusOK)
	res.decode(t, &me)
	if me["role"] != "admin" {
		t.Errorf("admin's role = %v", me["role"])
	}

	// Refresh rotates: the old refresh token stops working.
	res = post("/auth/refresh", map[string]string{"refresh_token": sess.RefreshToken}).wantStatus(t, http.StatusOK)
	var refreshed map[string]any
	res.decode(t, &refreshed)
	if len(refreshed) != 4 || refreshed["token_type"] != "Bearer" || refreshed["expires_in"] != float64(900) ||
		refreshed["access_token"] == "" || refreshed["refresh_token"] == sess.RefreshToken {
		t.Fatalf("refresh body = %s", res.Body)
	}
	post("/auth/refresh", map[string]string{"refresh_token": sess.RefreshToken}).wantProblem(t, 401, "invalid_token")
	post("/auth/refresh", map[string]string{"refresh_token": "garbage"}).wantProblem(t, 401, "invalid_token")

	// Logout revokes the refresh token.
	next, _ := refreshed["refresh_token"].(string)
	post("/auth/logout", map[string]string{"refresh_token": next}).wantStatus(t, http.StatusNoContent)
	post("/auth/refresh", map[string]string{"refresh_token": next}).wantProblem(t, 401, "invalid_token")
	post("/auth/logout", map[string]string{"refresh_token": "unknown"}).wantStatus(t, http.StatusNoContent)
}

func TestBearerTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	forged := e.userToken[:len(e.userToken)-4] + "AAAA"
	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"missing", "", 401, "unauthenticated"},
		{"not bearer", "Basic YWxpY2U6d29uZGVybGFuZA==", 401, "invalid_token"},
		{"empty bearer", "Bearer ", 401, "invalid_token"},
		{"garbage", "Bearer not.a.jwt", 401, "invalid_token"},
		{"forged signature", "Bearer " + forged, 401, "invalid_token"},
		{"expired", "Bearer " + e.expiredToken(t, e.user), 401, "token_expired"},
		{"valid, scheme in lower case", "bearer " + e.userToken, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request{method: http.MethodGet, path: "/api/progress"}
			if tt.header != "" {
				req.header = map[string]string{"Authorization": tt.header}
			}
			res := send(t, e.h, req)
			if tt.code == "" {
				res.wantStatus(t, tt.status)
				return
			}
			res.wantProblem(t, tt.status, tt.code)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if got := counterValue(t, e.metrics.AuthFailures.WithLabelValues("http")); got != float64(len(tests)-1) {
		t.Errorf("auth failures counted = %v, want %d", got, len(tests)-1)
	}
}

func TestAdminOnlyRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Admin Only"})
	tests := []request{
		{method: http.MethodPost, path: "/api/manga", body: map[string]any{"title": "Nope"}},
		{method: http.MethodPut, path: mangaPath(m.ID), body: map[string]any{"title": "Nope"}},
		{method: http.MethodDelete, path: mangaPath(m.ID)},
		{method: http.MethodPost, path: "/api/genres", body: map[string]any{"name": "Nope"}},
		// Refused before the body is even read.
		{method: http.MethodPost, path: "/api/manga", body: `{"title": `},
	}
	for _, req := range tests {
		t.Run(req.method+" "+req.path, func(t *testing.T) {
			req.token = e.userToken
			send(t, e.h, req).wantProblem(t, http.StatusForbidden, "forbidden")
			req.token = ""
			send(t, e.h, req).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		})
	}
	// The manga is untouched.
	var got manga
	e.get(t, mangaPath(m.ID)).wantStatus(t, http.StatusOK).decode(t, &got)
	if got.Title != "Admin Only" {
		t.Errorf("title = %q after refused writes", got.Title)
	}
}

func TestAuthRateLimits(t *testing.T) {
	// Two attempts, then about one every 1000 s: nothing refills during the
	// test. Every login costs a bcrypt compare, so the budget is kept small.
	limit := ratelimit.Limit{Rate: 0.001, Burst: 2}

	t.Run("per client address", func(t *testing.T) {
		e := newEnv(t, envOptions{authLimit: limit})
		from := func(addr string, path string, body any) response {
			return send(t, e.h, request{method: http.MethodPost, path: path, body: body, remote: addr})
		}
		// Register and login have a budget each per address.
		for _, name := range []string{"carol", "dave"} {
			from("192.0.2.1:1000", "/auth/register", map[string]string{"username": name, "email": name + "@example.com", "password": "wonderland"}).
				wantStatus(t, http.StatusCreated)
		}
		from("192.0.2.1:1004", "/auth/register", map[string]string{"username": "erin", "email": "erin@example.com", "password": "wonderland"}).
			wantProblem(t, http.StatusTooManyRequests, "rate_limited")
		from("192.0.2.1:1001", "/auth/login", map[string]string{"username": "carol", "password": "wonderland"}).wantStatus(t, http.StatusOK)
		from("192.0.2.1:1002", "/auth/login", map[string]string{"username": "dave", "password": "wonderland"}).wantStatus(t, http.StatusOK)
		res := send(t, e.h, request{method: http.MethodPost, path: "/auth/login", remote: "192.0.2.1:1003",
			body:   map[string]string{"username": "carol", "password": "wonderland"},
			header: map[string]string{"X-Forwarded-For": "198.51.100.7"}}) // not trusted
		p := res.wantProblem(t, http.StatusTooManyRequests, "rate_limited")
		wantRetryAfter(t, res, p)
		// Another address has its own budget.
		from("192.0.2.2:1000", "/auth/login", map[string]string{"username": "carol", "password": "wonderland"}).wantStatus(t, http.StatusOK)
		if got := counterValue(t, e.metrics.RateLimited.WithLabelValues("http")); got != 2 {
			t.Errorf("rate limited counted = %v, want 2", got)
		}
	})

	t.Run("failed logins per username", func(t *testing.T) {
		e := newEnv(t, envOptions{authLimit: limit})
		login := func(addr, name, password string) response {
			return send(t, e.h, request{method: http.MethodPost, path: "/auth/login", remote: addr,
				body: map[string]string{"username": name, "password": password}})
		}
		// Successes do not count against the username.
		login("192.0.2.10:1", "reader", testPassword).wantStatus(t, http.StatusOK)
		login("192.0.2.10:2", "reader", testPassword).wantStatus(t, http.StatusOK)
		// Two failures from two addresses use up the username's budget...
		for i := range 2 {
			login("192.0.2."+strconv.Itoa(20+i)+":1", "Reader", "wrong password").wantProblem(t, 401, "invalid_credentials")
		}
		// ...so even the right password from a fresh address is refused,
		res := login("192.0.2.30:1", "reader", testPassword)
		wantRetryAfter(t, res, res.wantProblem(t, http.StatusTooManyRequests, "rate_limited"))
		// while other usernames are unaffected.
		login("192.0.2.31:1", "admin", testPassword).wantStatus(t, http.StatusOK)
	})

	t.Run("zero limit disables limiting", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		for range 3 {
			send(t, e.h, request{method: http.MethodPost, path: "/auth/login", remote: "192.0.2.1:1",
				body: map[string]string{"username": "reader", "password": "wrong password"}}).wantProblem(t, 401, "invalid_credentials")
		}
	})
}

// wantRetryAfter checks a 429: Retry-After in whole seconds, at least 1,
// and agreeing with retry_after_ms.
func wantRetryAfter(t *testing.T, res response, p problemBody) {
	t.Helper()
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds ≥ 1", res.Header.Get("Retry-After"))
	}
	ms := time.Duration(p.RetryAfterMS) * time.Millisecond
	if p.RetryAfterMS <= 0 || ms > time.Duration(secs)*time.Second || ms <= time.Duration(secs-1)*time.Second {
		t.Errorf("retry_after_ms = %d does not round up to Retry-After %d", p.RetryAfterMS, secs)
	}
}

// TestRefreshTokenReuse: presenting a refresh token that was already
// rotated fails, and every token descended from it stops working too
// (reuse detection); the account's other sessions are left alone.
func TestRefreshTokenReuse(t *testing.T) {
	e := newEnv(t, envOptions{})
	post := func(path string, body any) response {
		t.Helper()
		return send(t, e.h, request{method: http.MethodPost, path: path, body: body})
	}
	login := func() loginBody {
		t.Helper()
		var s loginBody
		post("/auth/login", map[string]string{"username": "reader", "password": testPassword}).wantStatus(t, http.StatusOK).decode(t, &s)
		return s
	}
	refresh := func(token string) response {
		t.Helper()
		return post("/auth/refresh", map[string]string{"refresh_token": token})
	}
	first, other := login(), login()

	var second loginBody
	refresh(first.RefreshToken).wantStatus(t, http.StatusOK).decode(t, &second)
	var third loginBody
	refresh(second.RefreshToken).wantStatus(t, http.StatusOK).decode(t, &third)

	// first was rotated long ago: whoever presents it now holds a copy.
	p := refresh(first.RefreshToken).wantProblem(t, http.StatusUnauthorized, "invalid_token")
	if !strings.Contains(p.Detail, "already used") {
		t.Errorf("detail = %q, want it to say the token was already used", p.Detail)
	}
	// Its descendants are revoked, the newest one included.
	refresh(third.RefreshToken).wantProblem(t, http.StatusUnauthorized, "invalid_token")
	refresh(second.RefreshToken).wantProblem(t, http.StatusUnauthorized, "invalid_token")
	// Another login of the same account still works.
	refresh(other.RefreshToken).wantStatus(t, http.StatusOK)
}
