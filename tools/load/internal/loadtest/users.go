package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// LoadPassword is the password of every load-test user, so that a person
// can log in as one to look around.
const LoadPassword = "load-test-password"

// UserName is the name of the i-th load-test user with the given prefix.
func UserName(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

// Account is a load-test user as the server knows it.
type Account struct {
	ID       string
	Username string
	// Token is the access token login answered with; empty when the
	// account was registered and not logged in.
	Token string
}

// API is a client of the contract's HTTP API at Base (http://host:port).
type API struct {
	Base   string
	Client *http.Client
}

// maxRetries bounds the waits on 429 rate_limited of one request.
const maxRetries = 20

// Do sends method path with body (JSON-encoded when not nil) and token (when
// set), decodes a 2xx answer into out (when not nil), and returns the
// status. A 429 is retried after its Retry-After, boundedly: registering
// a thousand users meets the per-address limit of auth.
func (a API) Do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	client := a.Client
	if client == nil {
		client = http.DefaultClient
	}
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.Base, "/")+path, bytes.NewReader(payload))
		if err != nil {
			return 0, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxOpsBody))
		resp.Body.Close()
		if err != nil {
			return resp.StatusCode, err
		}
		if resp.StatusCode == http.StatusTooManyRequests && try < maxRetries {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-time.After(time.Duration(max(wait, 1)) * time.Second):
				continue
			case <-ctx.Done():
				return resp.StatusCode, ctx.Err()
			}
		}
		if resp.StatusCode/100 != 2 {
			return resp.StatusCode, &HTTPError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return resp.StatusCode, nil
	}
}

// HTTPError is an answer outside 2xx.
type HTTPError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.300s", e.Method, e.Path, e.Status, e.Body)
}

// EnsureAccounts makes sure users prefix00000 … prefix(n-1) exist and
// returns them in order: each is registered over POST /auth/register, and a
// name already taken (a database prepared before) is logged in over
// POST /auth/login instead, which tells its user ID. conc requests run at
// once: the server hashes every password with bcrypt, and both cores help.
// When login is set every account is also logged in, for its token.
func (a API) EnsureAccounts(ctx context.Context, prefix string, n, conc int, login bool) ([]Account, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]Account, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(conc, 1) {
		wg.Go(func() {
			for i := range next {
				var err error
				if out[i], err = a.ensureAccount(ctx, UserName(prefix, i), login); err != nil {
					// The first failure stops the rest: a server that is
					// down would otherwise be asked n times.
					cancel(fmt.Errorf("user %s: %w", UserName(prefix, i), err))
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func (a API) ensureAccount(ctx context.Context, name string, login bool) (Account, error) {
	var reg struct {
		UserID string `json:"user_id"`
	}
	_, err := a.Do(ctx, http.MethodPost, "/auth/register", "",
		map[string]string{"username": name, "email": name + "@load.example.invalid", "password": LoadPassword}, &reg)
	var he *HTTPError
	taken := errors.As(err, &he) && he.Status == http.StatusConflict
	if err != nil && !taken {
		return Account{}, err
	}
	acc := Account{ID: reg.UserID, Username: name}
	if !taken && !login {
		return acc, nil
	}
	var li struct {
		UserID      string `json:"user_id"`
		AccessToken string `json:"access_token"`
	}
	if _, err := a.Do(ctx, http.MethodPost, "/auth/login", "",
		map[string]string{"username": name, "password": LoadPassword}, &li); err != nil {
		return Account{}, fmt.Errorf("%s exists but does not log in with the load-test password: %w", name, err)
	}
	acc.ID, acc.Token = li.UserID, li.AccessToken
	return acc, nil
}

// MintToken signs an access token for acc with the contract's claims
// (CONTRACT.md section 2), valid for ttl from now: any MangaHub instance
// with the same secret accepts it, as it accepts its own.
func MintToken(secret []byte, acc Account, ttl time.Duration, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"sub": acc.ID, "user_id": acc.ID, "username": acc.Username, "role": "user", "type": "access",
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "iss": "mangahub",
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
