package testenv_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub/internal/testenv"
)

// recorder stands in for a testing.TB to observe Skip and Fatal, which it
// ends the calling goroutine on, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.TB.Cleanup(f) }
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// observe runs fn against a recorder on its own goroutine, so that Goexit
// ends only fn.
func observe(t *testing.T, fn func(tb testing.TB) string) (*recorder, string) {
	t.Helper()
	r := &recorder{TB: t}
	var got string
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(r)
	}()
	<-done
	return r, got
}

func TestMissingService(t *testing.T) {
	tests := []struct {
		name     string
		fn       func(testing.TB) string
		env      string
		require  string
		wantSkip bool
	}{
		{"postgres skipped", testenv.PostgresURL, testenv.PostgresURLEnv, "", true},
		{"postgres required", testenv.PostgresURL, testenv.PostgresURLEnv, "1", false},
		{"redis skipped", testenv.RedisURL, testenv.RedisURLEnv, "", true},
		{"redis required", testenv.RedisURL, testenv.RedisURLEnv, "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.env, "")
			t.Setenv(testenv.RequireServicesEnv, tt.require)
			r, _ := observe(t, tt.fn)
			if r.skipped != tt.wantSkip || r.failed == tt.wantSkip {
				t.Errorf("skipped %t, failed %t; want skipped %t", r.skipped, r.failed, tt.wantSkip)
			}
			if !strings.Contains(r.msg, tt.env) {
				t.Errorf("message %q does not name %s", r.msg, tt.env)
			}
		})
	}
}

func TestRedisURL(t *testing.T) {
	t.Setenv(testenv.RedisURLEnv, "redis://127.0.0.1:6379/0")
	r, got := observe(t, testenv.RedisURL)
	if r.skipped || r.failed || got != "redis://127.0.0.1:6379/0" {
		t.Errorf("RedisURL = %q (skipped %t, failed %t)", got, r.skipped, r.failed)
	}
}

func TestPostgresURLRejectsOtherSchemes(t *testing.T) {
	t.Setenv(testenv.PostgresURLEnv, "mysql://root:hunter2@127.0.0.1/db")
	r, _ := observe(t, testenv.PostgresURL)
	if !r.failed {
		t.Fatal("a mysql:// URL was accepted")
	}
	if strings.Contains(r.msg, "hunter2") {
		t.Errorf("the failure message shows the password: %q", r.msg)
	}
}

// TestPostgresURL checks against a real server that the database exists for
// the test and is gone after it.
func TestPostgresURL(t *testing.T) {
	if os.Getenv(testenv.PostgresURLEnv) == "" {
		testenv.PostgresURL(t) // skips, or fails when services are required
	}
	base := os.Getenv(testenv.PostgresURLEnv)
	var (
		name     string
		leftOpen *pgx.Conn
	)
	t.Run("use", func(t *testing.T) {
		u := testenv.PostgresURL(t)
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatalf("PostgresURL returned an invalid URL: %v", err)
		}
		name = strings.TrimPrefix(parsed.Path, "/")
		// Left open on purpose: a forgotten connection must not stop the
		// drop.
		conn, err := pgx.Connect(context.Background(), u)
		if err != nil {
			t.Fatalf("connect to the test database: %v", err)
		}
		leftOpen = conn
		var current string
		if err := conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&current); err != nil {
			t.Fatal(err)
		}
		if current != name || !strings.HasPrefix(name, "mangahub_test_") {
			t.Errorf("connected to %q, URL names %q", current, name)
		}
	})
	if leftOpen != nil {
		defer leftOpen.Close(context.Background())
	}
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("database %q still exists after its test", name)
	}
}
