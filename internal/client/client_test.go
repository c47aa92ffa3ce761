package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/client"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
	"github.com/mangahub/mangahub/internal/testenv"
)

// testServer is one in-process `mangahub serve` on loopback ports.
type testServer struct {
	Base, TCP string
	stop      func()
}

// startServer runs a server on embedded SQLite in dataDir; extra overrides
// configuration variables. It is stopped at the end of the test.
func startServer(t *testing.T, dataDir string, extra map[string]string) *testServer {
	t.Helper()
	vars := map[string]string{
		"MANGAHUB_HTTP_ADDR": "127.0.0.1:0", "MANGAHUB_TCP_ADDR": "127.0.0.1:0",
		"MANGAHUB_DATA_DIR": dataDir, "MANGAHUB_AUTH_RATE_LIMIT": "1000/s,burst=1000",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), "test")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	ts := &testServer{Base: "http://" + srv.HTTPAddr.String(), TCP: srv.TCPAddr.String()}
	// Ready once migrated and seeded, as any client would find out.
	testenv.Eventually(t, 30*time.Second, "/readyz to answer 200", func() bool {
		resp, err := http.Get(ts.Base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	stopped := false
	ts.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(ts.stop)
	return ts
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func code(err error) mangahub.ErrorCode {
	var e *mangahub.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAuthCatalogAndLibrary(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	ctx := ctxT(t)
	var kept []client.Tokens
	c := client.New(ts.Base, client.OnTokens(func(tk client.Tokens) { kept = append(kept, tk) }))

	if _, err := c.Register(ctx, "reader", "reader@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Register(ctx, "reader", "other@example.com", "long enough password")
	if code(err) != mangahub.CodeUsernameTaken || err.(*mangahub.Error).Message == "" {
		t.Fatalf("second register: %v, want username_taken with a detail", err)
	}
	if _, err := c.Login(ctx, "reader", "wrong password"); code(err) != mangahub.CodeInvalidCredentials {
		t.Fatalf("bad login: %v", err)
	}
	s, err := c.Login(ctx, "reader", "long enough password")
	if err != nil || s.Username != "reader" || s.AccessToken == "" || len(kept) != 1 {
		t.Fatalf("login: %+v %v (kept %d)", s, err, len(kept))
	}
	me, err := c.Me(ctx)
	if err != nil || me.Username != "reader" || me.Role != mangahub.RoleUser {
		t.Fatalf("me: %+v %v", me, err)
	}

	page, err := c.SearchManga(ctx, client.MangaQuery{Q: "pokemon", Limit: 5})
	if err != nil || page.Total < 1 || page.Limit != 5 {
		t.Fatalf("search: %+v %v", page, err)
	}
	id := page.Items[0].ID
	m, err := c.Manga(ctx, id)
	if err != nil || m.ID != id || m.Title != page.Items[0].Title {
		t.Fatalf("manga %d: %+v %v", id, m, err)
	}
	if _, err := c.Manga(ctx, 1<<40); code(err) != mangahub.CodeNotFound {
		t.Fatalf("missing manga: %v", err)
	}

	if _, err := c.Progress(ctx, id); code(err) != mangahub.CodeNotFound {
		t.Fatalf("progress before any: %v", err)
	}
	r, err := c.SetProgress(ctx, client.ProgressSet{MangaID: id, Chapter: 10})
	if err != nil || !r.Applied || r.Progress.Version != 1 || r.Progress.Status != mangahub.StatusReading {
		t.Fatalf("set 10: %+v %v", r, err)
	}
	r, err = c.SetProgress(ctx, client.ProgressSet{MangaID: id, Chapter: 3})
	if err != nil || r.Applied || r.Reason != client.ReasonBackwards || r.Progress.Chapter != 10 {
		t.Fatalf("backwards: %+v %v", r, err)
	}
	r, err = c.SetProgress(ctx, client.ProgressSet{MangaID: id, Chapter: 3, Force: true})
	if err != nil || !r.Applied || r.Progress.Chapter != 3 || r.Progress.Version != 2 {
		t.Fatalf("forced: %+v %v", r, err)
	}
	lib, err := c.ListProgress(ctx, client.ProgressQuery{})
	if err != nil || lib.Total != 1 || lib.Items[0].MangaID != id || lib.Items[0].Chapter != 3 {
		t.Fatalf("list: %+v %v", lib, err)
	}
	if err := c.DeleteProgress(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteProgress(ctx, id); code(err) != mangahub.CodeNotFound {
		t.Fatalf("second delete: %v", err)
	}

	// A kept refresh token alone is enough: the first request trades it.
	_, refresh := c.Tokens()
	c2 := client.New(ts.Base, client.WithRefreshToken(refresh))
	if me, err := c2.Me(ctx); err != nil || me.Username != "reader" {
		t.Fatalf("me from a refresh token: %+v %v", me, err)
	}
	// The refresh rotated the token: the first client's one is dead now,
	// and presenting it again is refused.
	if err := c.Refresh(ctx); code(err) != mangahub.CodeInvalidToken {
		t.Fatalf("refresh with a rotated token: %v", err)
	}

	if err := c2.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Me(ctx); code(err) != mangahub.CodeUnauthenticated {
		t.Fatalf("me after logout: %v", err)
	}
}

// An expired access token is refreshed once and the request retried, over
// HTTP and on the sync connection.
func TestExpiredAccessTokenIsRefreshed(t *testing.T) {
	ts := startServer(t, t.TempDir(), map[string]string{"MANGAHUB_ACCESS_TOKEN_TTL": "1s"})
	ctx := ctxT(t)
	c := client.New(ts.Base)
	if _, err := c.Register(ctx, "sleepy", "sleepy@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "sleepy", "long enough password"); err != nil {
		t.Fatal(err)
	}
	first, _ := c.Tokens()
	// Wait until the server itself refuses the token as expired.
	raw := client.New(ts.Base, client.WithAccessToken(first))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := raw.Me(ctx)
		if code(err) == mangahub.CodeTokenExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("token never expired: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if me, err := c.Me(ctx); err != nil || me.Username != "sleepy" {
		t.Fatalf("me with an expired token: %+v %v", me, err)
	}
	if second, _ := c.Tokens(); second == first {
		t.Fatal("access token was not replaced")
	}
	// The sync handshake refuses the (again) expired token; DialSync
	// refreshes and authenticates.
	second, _ := c.Tokens()
	for {
		_, err := client.New(ts.Base, client.WithAccessToken(second)).Me(ctx)
		if code(err) == mangahub.CodeTokenExpired {
			break
		}
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("token never expired: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sc, err := c.DialSync(ctx, ts.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if sc.Username != "sleepy" || sc.ConnectionID == "" {
		t.Fatalf("auth_ok: %+v", sc)
	}
}

func TestWatchReconnects(t *testing.T) {
	dataDir := t.TempDir()
	ts := startServer(t, dataDir, nil)
	ctx := ctxT(t)
	c := client.New(ts.Base)
	if _, err := c.Register(ctx, "watcher", "watcher@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, "watcher", "long enough password"); err != nil {
		t.Fatal(err)
	}
	pushes := make(chan client.Push, 16)
	states := make(chan string, 16)
	wctx, stop := context.WithCancel(ctx)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- c.Watch(wctx, ts.TCP, client.WatchOptions{
			OnPush:     func(p client.Push) { pushes <- p },
			OnState:    func(s string, _ error) { states <- s },
			MaxBackoff: time.Second,
		})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-watchDone; err != nil {
			t.Errorf("Watch returned %v", err)
		}
	})
	waitState(t, states, "connected")
	if _, err := c.SetProgress(ctx, client.ProgressSet{MangaID: 1, Chapter: 4}); err != nil {
		t.Fatal(err)
	}
	if p := nextPush(t, pushes); p.Type != "progress_broadcast" || p.Progress.Chapter != 4 || p.Source != mangahub.SourceHTTP {
		t.Fatalf("push %+v", p)
	}

	// The server goes away and comes back on the same ports.
	ts.stop()
	waitState(t, states, "disconnected")
	ts2 := startServer(t, dataDir, map[string]string{"MANGAHUB_HTTP_ADDR": hostPort(ts.Base), "MANGAHUB_TCP_ADDR": ts.TCP})
	waitState(t, states, "connected")
	if err := client.New(ts2.Base, client.WithAccessToken(must(c.Tokens()))).DeleteProgress(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if p := nextPush(t, pushes); p.Type != "progress_deleted" || p.MangaID != 1 || p.Version != 1 {
		t.Fatalf("push after restart %+v", p)
	}
}

func must(access, _ string) string { return access }

func hostPort(base string) string { return strings.TrimPrefix(base, "http://") }

func waitState(t *testing.T, states <-chan string, want string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-states:
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("watch did not become %s within 20s", want)
		}
	}
}

func nextPush(t *testing.T, pushes <-chan client.Push) client.Push {
	t.Helper()
	select {
	case p := <-pushes:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no push within 10s")
		return client.Push{}
	}
}

// memStore is a TokenStore in memory, shared by clients that stand for
// separate processes.
type memStore struct {
	lock  chan struct{}
	mu    sync.Mutex
	kept  client.Tokens
	saves int
}

func newMemStore(t client.Tokens) *memStore {
	return &memStore{lock: make(chan struct{}, 1), kept: t}
}

func (s *memStore) Lock(ctx context.Context) (func(), error) {
	select {
	case s.lock <- struct{}{}:
		return func() { <-s.lock }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *memStore) Load() (client.Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kept, nil
}

func (s *memStore) Save(t client.Tokens) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kept = t
	s.saves++
	return nil
}

// Two processes that share one kept session refresh it in turns: the second
// adopts what the first kept instead of presenting the spent refresh token,
// which the server would take for theft and answer by ending the session.
func TestTokenStoreSharesRefreshes(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	ctx := ctxT(t)
	login := client.New(ts.Base)
	if _, err := login.Register(ctx, "twoterms", "twoterms@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	s, err := login.Login(ctx, "twoterms", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if s.ExpiresAt.IsZero() || time.Until(s.ExpiresAt) < time.Minute {
		t.Fatalf("login's ExpiresAt %v, want about expires_in (%ds) from now", s.ExpiresAt, s.ExpiresIn)
	}

	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "shared", false: "unshared"}[shared], func(t *testing.T) {
			// Both start from the same kept refresh token and no access
			// token, as two freshly started commands would.
			_, refresh := login.Tokens()
			store := newMemStore(client.Tokens{RefreshToken: refresh})
			opts := []client.Option{client.WithRefreshToken(refresh)}
			if shared {
				opts = append(opts, client.WithTokenStore(store))
			}
			first, second := client.New(ts.Base, opts...), client.New(ts.Base, opts...)
			if _, err := first.Me(ctx); err != nil {
				t.Fatalf("first: %v", err)
			}
			_, err := second.Me(ctx)
			if !shared {
				// The control: without the store the second one presents
				// a spent token, and the session is revoked.
				if code(err) != mangahub.CodeInvalidToken {
					t.Fatalf("unshared second: %v, want invalid_token", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("shared second: %v", err)
			}
			if store.saves != 1 {
				t.Fatalf("%d saves, want 1 (the first refresh; the second adopts it)", store.saves)
			}
			a1, r1 := first.Tokens()
			a2, r2 := second.Tokens()
			if a1 != a2 || r1 != r2 || store.kept.RefreshToken != r1 {
				t.Fatal("the second client did not adopt the kept tokens")
			}
			// The session is alive: a refresh with the kept token works.
			if err := second.Refresh(ctx); err != nil {
				t.Fatalf("refresh after sharing: %v", err)
			}
			// Keep login's client on a live token for the next subtest.
			login = client.New(ts.Base, client.WithRefreshToken(store.kept.RefreshToken))
		})
	}
}
