package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/httpapi"
)

// sessionCookie returns the refresh cookie an answer sets (nil without one),
// after checking the attributes every such cookie must have.
func sessionCookie(t *testing.T, res response) *http.Cookie {
	t.Helper()
	values := res.Header.Values("Set-Cookie")
	if len(values) == 0 {
		return nil
	}
	if len(values) > 1 {
		t.Fatalf("%d Set-Cookie headers: %q", len(values), values)
	}
	c, err := http.ParseSetCookie(values[0])
	if err != nil {
		t.Fatalf("Set-Cookie %q: %v", values[0], err)
	}
	if c.Name != "mangahub_refresh" || c.Path != "/auth" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("Set-Cookie = %q, want mangahub_refresh, Path=/auth, HttpOnly, SameSite=Strict", values[0])
	}
	return c
}

func withCookie(value string, extra map[string]string) map[string]string {
	h := map[string]string{"Cookie": "mangahub_refresh=" + value}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	login := func(path string, header map[string]string) (loginBody, *http.Cookie) {
		t.Helper()
		res := send(t, e.h, request{method: http.MethodPost, path: path, header: header,
			body: map[string]string{"username": "reader", "password": testPassword}}).wantStatus(t, http.StatusOK)
		var b loginBody
		res.decode(t, &b)
		return b, sessionCookie(t, res)
	}
	refresh := func(body any, header map[string]string) response {
		t.Helper()
		return send(t, e.h, request{method: http.MethodPost, path: "/auth/refresh", body: body, header: header})
	}

	// Login sets the cookie: the body's refresh token, for its lifetime.
	sess, c := login("/auth/login", map[string]string{"Sec-Fetch-Site": "same-origin"})
	if c == nil || c.Value != sess.RefreshToken || c.Secure {
		t.Fatalf("login cookie = %+v, want the refresh token, not Secure over plain HTTP", c)
	}
	if want := int((720 * time.Hour).Seconds()); c.MaxAge < want-60 || c.MaxAge > want {
		t.Errorf("cookie Max-Age = %d, want about %d", c.MaxAge, want)
	}

	// Secure over TLS, and behind a TLS-terminating proxy.
	if _, c := login("https://mangahub.example/auth/login", nil); c == nil || !c.Secure {
		t.Errorf("cookie over TLS = %+v, want Secure", c)
	}
	if _, c := login("/auth/login", map[string]string{"X-Forwarded-Proto": "https"}); c == nil || !c.Secure {
		t.Errorf("cookie behind a TLS proxy = %+v, want Secure", c)
	}
	// A browser's cross-site login (login CSRF) plants no session.
	if _, c := login("/auth/login", map[string]string{"Sec-Fetch-Site": "cross-site"}); c != nil {
		t.Errorf("cross-site login set a cookie: %+v", c)
	}

	// Refresh by cookie, without a body, rotates the cookie.
	res := refresh(nil, withCookie(sess.RefreshToken, nil)).wantStatus(t, http.StatusOK)
	var rotated loginBody
	res.decode(t, &rotated)
	c2 := sessionCookie(t, res)
	if c2 == nil || c2.Value != rotated.RefreshToken || c2.Value == sess.RefreshToken || c2.MaxAge <= 0 {
		t.Fatalf("refreshed cookie = %+v, body %s", c2, res.Body)
	}
	// An empty body or an empty refresh_token also falls back to the cookie.
	res = refresh(map[string]string{}, withCookie(c2.Value, nil)).wantStatus(t, http.StatusOK)
	c3 := sessionCookie(t, res)
	res = refresh(map[string]string{"refresh_token": ""}, withCookie(c3.Value, nil)).wantStatus(t, http.StatusOK)
	c4 := sessionCookie(t, res)
	if c3 == nil || c4 == nil || c3.Value == c2.Value || c4.Value == c3.Value {
		t.Fatalf("cookies did not rotate: %+v, %+v", c3, c4)
	}

	// A cross-site request may not use the cookie.
	refresh(nil, withCookie(c4.Value, map[string]string{"Sec-Fetch-Site": "cross-site"})).wantProblem(t, http.StatusUnauthorized, "invalid_token")

	// The bearer token stays mandatory on /api/*: the cookie is no credential there.
	send(t, e.h, request{method: http.MethodGet, path: "/api/me", header: withCookie(c4.Value, nil)}).
		wantProblem(t, http.StatusUnauthorized, "unauthenticated")
	send(t, e.h, request{method: http.MethodGet, path: "/api/progress", header: withCookie(c4.Value, nil)}).
		wantProblem(t, http.StatusUnauthorized, "unauthenticated")

	// A body token wins over the cookie and leaves the cookie alone.
	other, _ := login("/auth/login", nil)
	res = refresh(map[string]string{"refresh_token": other.RefreshToken}, withCookie(c4.Value, nil)).wantStatus(t, http.StatusOK)
	if c := sessionCookie(t, res); c != nil {
		t.Errorf("refresh by body set a cookie: %+v", c)
	}

	// Logout by cookie revokes it and clears the cookie.
	res = send(t, e.h, request{method: http.MethodPost, path: "/auth/logout", header: withCookie(c4.Value, nil)}).wantStatus(t, http.StatusNoContent)
	if c := sessionCookie(t, res); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout cookie = %+v, want it cleared", c)
	}
	// The revoked cookie fails, and the answer drops it.
	res = refresh(nil, withCookie(c4.Value, nil))
	res.wantProblem(t, http.StatusUnauthorized, "invalid_token")
	if c := sessionCookie(t, res); c == nil || c.MaxAge >= 0 {
		t.Errorf("refresh with a dead cookie: cookie = %+v, want it cleared", c)
	}

	// Neither body nor cookie: refresh is invalid_token, logout a no-op.
	refresh(nil, nil).wantProblem(t, http.StatusUnauthorized, "invalid_token")
	res = send(t, e.h, request{method: http.MethodPost, path: "/auth/logout"}).wantStatus(t, http.StatusNoContent)
	if c := sessionCookie(t, res); c != nil {
		t.Errorf("logout without a cookie set one: %+v", c)
	}
}

func TestLoginReplacesTheBrowsersSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := map[string]string{"username": "reader", "password": testPassword}
	res := send(t, e.h, request{method: http.MethodPost, path: "/auth/login", body: body}).wantStatus(t, http.StatusOK)
	first := sessionCookie(t, res)
	send(t, e.h, request{method: http.MethodPost, path: "/auth/login", body: body, header: withCookie(first.Value, nil)}).
		wantStatus(t, http.StatusOK)
	send(t, e.h, request{method: http.MethodPost, path: "/auth/refresh", body: map[string]string{"refresh_token": first.Value}}).
		wantProblem(t, http.StatusUnauthorized, "invalid_token")
}

func TestWebMount(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Page", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	h := httpapi.New(httpapi.Deps{Web: page})
	for _, path := range []string{"/", "/assets/app.js"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if res := send(t, h, request{method: method, path: path}); res.Status != http.StatusTeapot || res.Header.Get("X-Page") != path {
				t.Errorf("%s %s: %d, not the page", method, path, res.Status)
			}
		}
	}
	// Everything else is the API's, as before.
	send(t, h, request{method: http.MethodGet, path: "/index.html"}).wantProblem(t, http.StatusNotFound, "not_found")
	send(t, h, request{method: http.MethodPost, path: "/"}).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
	send(t, h, request{method: http.MethodGet, path: "/healthz"}).wantStatus(t, http.StatusOK)
	// A process without the HTTP API serves no page.
	h = httpapi.New(httpapi.Deps{Web: page, OpsOnly: true})
	send(t, h, request{method: http.MethodGet, path: "/"}).wantProblem(t, http.StatusNotFound, "not_found")
}
