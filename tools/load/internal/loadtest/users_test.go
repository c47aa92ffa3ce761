package loadtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/refserver"
)

// fakeAuth is the contract's register and login: names in taken exist
// already; the first register answers 429 once, to exercise the retry.
type fakeAuth struct {
	mu        sync.Mutex
	taken     map[string]string // name → user ID
	registers atomic.Int64
	limited   atomic.Bool
}

func (f *fakeAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/auth/register":
		if f.limited.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		f.registers.Add(1)
		if _, ok := f.taken[body["username"]]; ok {
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"code":"username_taken"}`))
			return
		}
		id := "id-" + body["username"]
		f.taken[body["username"]] = id
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"user_id": id, "username": body["username"]})
	case "/auth/login":
		id, ok := f.taken[body["username"]]
		if !ok || body["password"] != LoadPassword {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"user_id": id, "access_token": "login-" + id})
	default:
		http.NotFound(w, r)
	}
}

func TestEnsureAccountsRegistersOrLogsIn(t *testing.T) {
	f := &fakeAuth{taken: map[string]string{"load_00001": "old-id"}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	accs, err := API{Base: srv.URL}.EnsureAccounts(t.Context(), "load_", 3, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{{ID: "id-load_00000", Username: "load_00000"}, {ID: "old-id", Username: "load_00001", Token: "login-old-id"},
		{ID: "id-load_00002", Username: "load_00002"}}
	for i := range want {
		if accs[i] != want[i] {
			t.Errorf("account %d = %+v, want %+v", i, accs[i], want[i])
		}
	}
	if f.registers.Load() != 3 {
		t.Errorf("%d registrations answered, want 3 (the rate-limited one retried)", f.registers.Load())
	}
}

// A minted token is one the contract's checks accept: the reference
// server, which checks them as the contract says, lets it in.
func TestMintTokenPassesTheContractChecks(t *testing.T) {
	secret := []byte("test-secret-test-secret-test-secret-0123")
	acc := Account{ID: "22222222-2222-4222-8222-222222222222", Username: "load_00000"}
	ref := refserver.New(secret)
	ref.PutUser(acc.ID, nil)
	srv := httptest.NewServer(ref.Handler())
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name string
		at   time.Time
		want int
	}{
		{"fresh", time.Now(), http.StatusOK},
		{"expired", time.Now().Add(-2 * time.Hour), http.StatusUnauthorized},
	} {
		tok, err := MintToken(secret, acc, time.Hour, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/progress", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s token: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}

// A server that is not there fails the whole run at its first refusal,
// not once per user.
func TestEnsureAccountsStopsAtTheFirstFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	accs, err := API{Base: url}.EnsureAccounts(t.Context(), "load_", 1000, 4, false)
	if err == nil || accs != nil {
		t.Fatalf("EnsureAccounts = %d accounts, %v; want an error", len(accs), err)
	}
	if n := strings.Count(err.Error(), "connection refused"); n != 1 {
		t.Errorf("error mentions %d refusals, want 1: %v", n, err)
	}
}
