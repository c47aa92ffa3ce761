// Package testenv gives tests the external services they need, or skips
// them when a service is not configured. With MANGAHUB_TEST_REQUIRE_SERVICES=1
// (set in CI) a missing service fails the test instead, so that CI cannot
// go green by skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables.
const (
	PostgresURLEnv     = "MANGAHUB_TEST_POSTGRES_URL"
	RedisURLEnv        = "MANGAHUB_TEST_REDIS_URL"
	RequireServicesEnv = "MANGAHUB_TEST_REQUIRE_SERVICES"
)

// adminTimeout bounds creating and dropping a test database.
const adminTimeout = 30 * time.Second

// PostgresURL returns the URL of a new, empty database, created for this test
// on the server MANGAHUB_TEST_POSTGRES_URL points at (a postgres:// URL whose
// user may create databases) and dropped when the test ends.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := configured(tb, PostgresURLEnv)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The value may hold a password: never print it.
		tb.Fatalf("testenv: %s must be a postgres:// URL", PostgresURLEnv)
	}
	name := "mangahub_test_" + randomHex(tb, 8)
	ident := pgx.Identifier{name}.Sanitize()
	admin(tb, base, "CREATE DATABASE "+ident)
	tb.Cleanup(func() {
		// FORCE ends the connections a test left open.
		admin(tb, base, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	})
	u.Path = "/" + name
	return u.String()
}

// RedisURL returns MANGAHUB_TEST_REDIS_URL.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	return configured(tb, RedisURLEnv)
}

// configured returns the variable's value, or skips (fails, when services
// are required) the test if it is empty.
func configured(tb testing.TB, env string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(RequireServicesEnv) == "1" {
		tb.Fatalf("testenv: %s is not set and %s=1", env, RequireServicesEnv)
	}
	tb.Skipf("testenv: %s is not set", env)
	return ""
}

// admin runs one statement on the server's maintenance connection.
func admin(tb testing.TB, url, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("testenv: connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("testenv: %s: %v", sql, err)
	}
}

func randomHex(tb testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return hex.EncodeToString(b)
}
