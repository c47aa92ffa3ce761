// Package client is a small Go client of MangaHub's public contract: the
// HTTP API (auth, catalog, library) and the TCP sync protocol. It speaks only
// what CONTRACT.md promises, so the command-line client and the tests that
// use it also prove that the contract holds.
//
// A Client keeps one session (an access and a refresh token). When the server
// answers 401 because the access token expired or is missing, the Client
// refreshes once and retries; a rotated refresh token is handed to the
// OnTokens callback so that the caller can keep it. When several processes
// share one session (two terminals of the command-line client), a
// TokenStore lets them take turns to refresh: a refresh token works once,
// and presenting one that another process already rotated would make the
// server revoke the whole session.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// Tokens is what /auth/login and /auth/refresh hand out.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	// ExpiresAt is when the access token expires, by this machine's clock:
	// the time it was received plus ExpiresIn. Zero when unknown.
	ExpiresAt time.Time `json:"-"`
}

// stamp sets ExpiresAt from ExpiresIn, counted from now.
func (t *Tokens) stamp(now time.Time) {
	if t.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
}

// TokenStore keeps a session's tokens where other processes using the same
// session see them. The Client holds Lock around every refresh and, inside
// it, first Loads: when another process already rotated the refresh token,
// the Client adopts the kept tokens instead of presenting its stale one.
type TokenStore interface {
	// Lock serializes refreshes among every user of the store; the
	// returned function releases it.
	Lock(ctx context.Context) (unlock func(), err error)
	// Load returns the kept tokens; zero Tokens when there are none for
	// this session.
	Load() (Tokens, error)
	// Save keeps tokens that a refresh handed out.
	Save(Tokens) error
}

// expiryMargin is how long before its expiry a kept access token is no
// longer worth adopting: a request sent with it could arrive too late.
const expiryMargin = 30 * time.Second

// Session is a successful login.
type Session struct {
	Tokens
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

// Client talks to one MangaHub server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client

	mu      sync.Mutex
	access  string
	refresh string
	// refreshing serializes refreshes: a refresh token works once, so two
	// concurrent refreshes with it would look like theft to the server.
	refreshing sync.Mutex
	onTokens   func(Tokens)
	store      TokenStore
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces http.DefaultClient's settings (a 30 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRefreshToken starts the client with a kept refresh token; the first
// authenticated request trades it for an access token.
func WithRefreshToken(token string) Option { return func(c *Client) { c.refresh = token } }

// WithAccessToken starts the client with an access token.
func WithAccessToken(token string) Option { return func(c *Client) { c.access = token } }

// OnTokens is called after every login and refresh with the new tokens, so
// that the caller can keep the rotated refresh token.
func OnTokens(f func(Tokens)) Option { return func(c *Client) { c.onTokens = f } }

// WithTokenStore shares the session with other processes through s (see
// TokenStore). Login does not save to it: the caller decides where a new
// session is kept.
func WithTokenStore(s TokenStore) Option { return func(c *Client) { c.store = s } }

// New returns a client of the server at baseURL (such as
// "http://localhost:8080").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the server's address as given to New.
func (c *Client) BaseURL() string { return c.base }

// Tokens returns the current access and refresh tokens.
func (c *Client) Tokens() (access, refresh string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.access, c.refresh
}

func (c *Client) setTokens(t Tokens) {
	c.mu.Lock()
	c.access, c.refresh = t.AccessToken, t.RefreshToken
	f := c.onTokens
	c.mu.Unlock()
	if f != nil {
		f(t)
	}
}

// Register creates an account. It does not log in.
func (c *Client) Register(ctx context.Context, username, email, password string) (*mangahub.User, error) {
	var u mangahub.User
	body := map[string]string{"username": username, "email": email, "password": password}
	if err := c.do(ctx, http.MethodPost, "/auth/register", nil, body, &u, false); err != nil {
		return nil, err
	}
	return &u, nil
}

// Login logs in with a username (or email) and password and keeps the
// session's tokens.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	var s Session
	body := map[string]string{"username": username, "password": password}
	if err := c.do(ctx, http.MethodPost, "/auth/login", nil, body, &s, false); err != nil {
		return nil, err
	}
	s.stamp(time.Now())
	c.setTokens(s.Tokens)
	return &s, nil
}

// Refresh trades the refresh token for new tokens; the old one stops
// working.
func (c *Client) Refresh(ctx context.Context) error {
	_, refresh := c.Tokens()
	return c.refreshFrom(ctx, refresh)
}

// refreshFrom refreshes unless another caller already replaced stale (the
// refresh token the caller saw): then the new tokens are already there.
func (c *Client) refreshFrom(ctx context.Context, stale string) error {
	c.refreshing.Lock()
	defer c.refreshing.Unlock()
	_, refresh := c.Tokens()
	if refresh != stale && refresh != "" {
		return nil
	}
	if c.store != nil {
		unlock, err := c.store.Lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		kept, err := c.store.Load()
		if err != nil {
			return err
		}
		if kept.RefreshToken != "" && kept.RefreshToken != refresh {
			// Another process refreshed first: its tokens are the live
			// ones, and ours is spent.
			if kept.AccessToken != "" && time.Now().Add(expiryMargin).Before(kept.ExpiresAt) {
				c.setTokens(kept)
				return nil
			}
			refresh = kept.RefreshToken
		}
	}
	if refresh == "" {
		return &mangahub.Error{Code: mangahub.CodeUnauthenticated, Message: "not logged in"}
	}
	var t Tokens
	if err := c.do(ctx, http.MethodPost, "/auth/refresh", nil, map[string]string{"refresh_token": refresh}, &t, false); err != nil {
		return err
	}
	t.stamp(time.Now())
	c.setTokens(t)
	if c.store != nil {
		// Not keeping the rotated token would leave the spent one for the
		// next process to present, and the server to take for theft.
		if err := c.store.Save(t); err != nil {
			return fmt.Errorf("keep the refreshed session: %w", err)
		}
	}
	return nil
}

// Logout revokes the refresh token and forgets the session.
func (c *Client) Logout(ctx context.Context) error {
	_, refresh := c.Tokens()
	if refresh == "" {
		return nil
	}
	if err := c.do(ctx, http.MethodPost, "/auth/logout", nil, map[string]string{"refresh_token": refresh}, nil, false); err != nil {
		return err
	}
	c.mu.Lock()
	c.access, c.refresh = "", ""
	c.mu.Unlock()
	return nil
}

// Me returns the authenticated account.
func (c *Client) Me(ctx context.Context) (*mangahub.User, error) {
	var u mangahub.User
	if err := c.do(ctx, http.MethodGet, "/api/me", nil, nil, &u, true); err != nil {
		return nil, err
	}
	return &u, nil
}

// do sends one JSON request and decodes a 2xx answer into out (when not
// nil). With auth, the access token is sent; a 401 that a fresh token could
// cure (expired or missing) triggers one refresh and one retry.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any, auth bool) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	if !auth {
		return c.send(ctx, method, path, query, payload, "", out)
	}
	access, refresh := c.Tokens()
	if access == "" && refresh != "" {
		if err := c.refreshFrom(ctx, refresh); err != nil {
			return err
		}
		access, refresh = c.Tokens()
	}
	err := c.send(ctx, method, path, query, payload, access, out)
	if !refreshable(err) {
		return err
	}
	if refresh == "" {
		return err
	}
	if rerr := c.refreshFrom(ctx, refresh); rerr != nil {
		return rerr
	}
	access, _ = c.Tokens()
	return c.send(ctx, method, path, query, payload, access, out)
}

// refreshable tells the 401s that a fresh access token cures: expired,
// missing, or signed with a secret the server no longer uses.
func refreshable(err error) bool {
	switch mangahub.ErrorCodeOf(err) {
	case mangahub.CodeTokenExpired, mangahub.CodeUnauthenticated, mangahub.CodeInvalidToken:
		return true
	}
	return false
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, payload []byte, token string, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &mangahub.Error{Code: mangahub.CodeUnavailable, Message: "cannot reach " + c.base + ": " + netReason(err), Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return &mangahub.Error{Code: mangahub.CodeUnavailable, Message: "reading the answer of " + c.base + " failed", Err: err}
	}
	if resp.StatusCode >= 300 {
		return decodeProblem(resp, b)
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: server sent an unexpected answer: %w", method, path, err)
	}
	return nil
}

// netReason shortens a transport error to its cause ("connection refused"),
// without the URL that the caller already names.
func netReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// problem is RFC 9457's body as MangaHub sends it (CONTRACT.md §2).
type problem struct {
	Type         string             `json:"type"`
	Title        string             `json:"title"`
	Status       int                `json:"status"`
	Detail       string             `json:"detail"`
	Code         mangahub.ErrorCode `json:"code"`
	Progress     *mangahub.Progress `json:"progress"`
	RetryAfterMS int64              `json:"retry_after_ms"`
}

// decodeProblem turns an error answer into a *mangahub.Error: the problem's
// code and detail, or, when the answer is not a problem (a proxy in
// between), a code guessed from the status.
func decodeProblem(resp *http.Response, body []byte) error {
	var p problem
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if (ct == "application/problem+json" || ct == "application/json") && json.Unmarshal(body, &p) == nil && p.Code != "" {
		e := &mangahub.Error{Code: p.Code, Message: p.Detail, Progress: p.Progress}
		if e.Message == "" {
			e.Message = p.Title
		}
		if p.RetryAfterMS > 0 {
			e.RetryAfter = time.Duration(p.RetryAfterMS) * time.Millisecond
		} else if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	return &mangahub.Error{Code: codeOfStatus(resp.StatusCode), Message: fmt.Sprintf("server answered %s", resp.Status)}
}

func codeOfStatus(status int) mangahub.ErrorCode {
	switch status {
	case http.StatusUnauthorized:
		return mangahub.CodeUnauthenticated
	case http.StatusForbidden:
		return mangahub.CodeForbidden
	case http.StatusNotFound:
		return mangahub.CodeNotFound
	case http.StatusConflict:
		return mangahub.CodeConflict
	case http.StatusUnprocessableEntity:
		return mangahub.CodeValidation
	case http.StatusTooManyRequests:
		return mangahub.CodeRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return mangahub.CodeUnavailable
	}
	return mangahub.CodeInternal
}
