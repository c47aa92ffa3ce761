package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// The web page's session (CONTRACT.md §5). The page keeps its access token
// in memory only; the refresh token lives in a cookie the page's script
// cannot read, sent only to /auth/*, so a reload keeps the session without a
// token in storage or in a URL.
//
// Which requests take part: a browser marks every request with
// Sec-Fetch-Site. Login sets the cookie, and refresh and logout accept it,
// unless that header says the request came from another site (or another
// origin of the same site): SameSite=Strict already keeps the cookie off
// cross-site requests, and this also refuses a forged cross-site login
// (login CSRF) the right to plant a session. Clients that are not browsers
// send no Sec-Fetch-Site; they get the cookie on login too and may ignore
// it, as the command-line client does.
//
// The JSON API never reads the cookie: /api/* needs the bearer token, so a
// cookie cannot be used to forge a request there (no CSRF).
const (
	refreshCookieName = "mangahub_refresh"
	refreshCookiePath = "/auth"
)

// SessionCookie is embedded in the inputs of the auth routes that set, read
// or clear the cookie. It is exported only because huma skips the fields of
// unexported embedded types.
type SessionCookie struct {
	RefreshCookie string `cookie:"mangahub_refresh" doc:"The refresh token as the web page keeps it; used when the body carries no refresh_token."`

	secure     bool // the request came over TLS
	sameOrigin bool // not a cross-origin browser request
}

// Resolve learns what huma's parameters do not carry.
func (c *SessionCookie) Resolve(ctx huma.Context) []error {
	// X-Forwarded-Proto is trusted for this only: a client that lies about
	// it merely makes its own cookie stricter.
	c.secure = ctx.TLS() != nil || strings.EqualFold(strings.TrimSpace(ctx.Header("X-Forwarded-Proto")), "https")
	site := ctx.Header("Sec-Fetch-Site")
	c.sameOrigin = site == "" || site == "same-origin"
	return nil
}

// cookieToken is the cookie's refresh token, when this request may use it.
func (c *SessionCookie) cookieToken() string {
	if !c.sameOrigin {
		return ""
	}
	return c.RefreshCookie
}

// set is the Set-Cookie value that keeps token until expires (empty for a
// cross-origin request: it gets no cookie).
func (c *SessionCookie) set(token string, expires time.Time) string {
	if !c.sameOrigin || token == "" {
		return ""
	}
	maxAge := int(time.Until(expires) / time.Second)
	if expires.IsZero() || maxAge <= 0 {
		maxAge = 0 // a cookie for this browser session
	}
	return c.cookie(token, maxAge)
}

// clear is the Set-Cookie value that removes the cookie.
func (c *SessionCookie) clear() string { return c.cookie("", -1) }

func (c *SessionCookie) cookie(value string, maxAge int) string {
	ck := &http.Cookie{
		Name:     refreshCookieName,
		Value:    value,
		Path:     refreshCookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteStrictMode,
	}
	return ck.String()
}

// refreshTokenBody is the body of refresh and logout. It may be left out, or
// carry no token, when the web page's cookie is sent instead.
type refreshTokenBody struct {
	RefreshToken string `json:"refresh_token,omitempty" required:"false" maxLength:"1024"`
}

// bodyOrCookie is the refresh token a request presents: the body's, else the
// cookie's (byCookie).
func bodyOrCookie(body *refreshTokenBody, c *SessionCookie) (token string, byCookie bool) {
	if body != nil && body.RefreshToken != "" {
		return body.RefreshToken, false
	}
	if t := c.cookieToken(); t != "" {
		return t, true
	}
	return "", false
}

// withHeader adds a response header to an error answer.
func withHeader(err error, key, value string) error {
	return huma.ErrorWithHeaders(err, http.Header{key: {value}})
}
