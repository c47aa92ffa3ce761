package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/ratelimit"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.TCPAddr != ":8081" || c.DataDir != "./data" {
		t.Errorf("addresses/data dir = %q %q %q", c.HTTPAddr, c.TCPAddr, c.DataDir)
	}
	if c.WriteMode != config.WriteThrough {
		t.Errorf("write mode without Redis = %q, want write-through", c.WriteMode)
	}
	if c.FlushInterval != time.Second || c.FlushBatch != 1000 {
		t.Errorf("flush = %s/%d", c.FlushInterval, c.FlushBatch)
	}
	if c.AccessTokenTTL != 15*time.Minute || c.RefreshTokenTTL != 720*time.Hour {
		t.Errorf("ttls = %s %s", c.AccessTokenTTL, c.RefreshTokenTTL)
	}
	if c.TCPAuthTimeout != 10*time.Second || c.TCPIdleTimeout != 30*time.Minute || c.TCPMaxConnsPerUser != 20 {
		t.Errorf("tcp = %s %s %d", c.TCPAuthTimeout, c.TCPIdleTimeout, c.TCPMaxConnsPerUser)
	}
	if c.RateLimit != (ratelimit.Limit{Rate: 20, Burst: 40}) || c.AuthRateLimit != (ratelimit.Limit{Rate: 1, Burst: 20}) {
		t.Errorf("limits = %v %v", c.RateLimit, c.AuthRateLimit)
	}
	if c.Services != (config.Services{HTTP: true, TCP: true, Worker: true}) || c.LogFormat != "json" {
		t.Errorf("services %v, log format %q", c.Services, c.LogFormat)
	}
	if len(c.JWTSecret) != 0 || c.RequireSecret() != nil {
		t.Errorf("embedded default needs no secret")
	}
	if c.CatalogCacheTTL != 5*time.Second || c.LibraryCacheTTL != 5*time.Second {
		t.Errorf("cache ttls = %s %s", c.CatalogCacheTTL, c.LibraryCacheTTL)
	}
}

// The library cache is set like the catalog's: off with 0, an hour at most.
func TestLibraryCacheTTL(t *testing.T) {
	c, err := config.Load(env(map[string]string{"MANGAHUB_LIBRARY_CACHE_TTL": "1m"}), []string{"--library-cache-ttl=0"})
	if err != nil || c.LibraryCacheTTL != 0 {
		t.Fatalf("--library-cache-ttl=0: %v, %v", c, err)
	}
	if c, err = config.Load(env(map[string]string{"MANGAHUB_LIBRARY_CACHE_TTL": "1m"}), nil); err != nil || c.LibraryCacheTTL != time.Minute {
		t.Fatalf("MANGAHUB_LIBRARY_CACHE_TTL=1m: %v, %v", c, err)
	}
	for _, v := range []string{"2h", "-1s", "soon"} {
		if _, err := config.Load(env(map[string]string{"MANGAHUB_LIBRARY_CACHE_TTL": v}), nil); err == nil || !strings.Contains(err.Error(), "MANGAHUB_LIBRARY_CACHE_TTL") {
			t.Errorf("MANGAHUB_LIBRARY_CACHE_TTL=%s: %v", v, err)
		}
	}
}

func TestLoadFlagsOverrideEnv(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"MANGAHUB_HTTP_ADDR":    ":1",
		"MANGAHUB_REDIS_URL":    "redis://127.0.0.1:6379/0",
		"MANGAHUB_DATABASE_URL": "postgres://u@h/db",
	}), []string{"--http-addr=127.0.0.1:9090", "--services=http,tcp", "--flush-interval", "5m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9090" || c.FlushInterval != 5*time.Minute {
		t.Errorf("flags not applied: %q %s", c.HTTPAddr, c.FlushInterval)
	}
	if c.WriteMode != config.WriteBehind {
		t.Errorf("write mode with Redis = %q, want write-behind", c.WriteMode)
	}
	if c.Services != (config.Services{HTTP: true, TCP: true}) {
		t.Errorf("services = %v", c.Services)
	}
	if err := c.RequireSecret(); err == nil || !strings.Contains(err.Error(), "MANGAHUB_JWT_SECRET") {
		t.Errorf("PostgreSQL without a secret: %v", err)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"MANGAHUB_FLUSH_INTERVAL":   "soon",
		"MANGAHUB_JWT_SECRET":       "short",
		"MANGAHUB_WRITE_MODE":       "write-around",
		"MANGAHUB_DATABASE_URL":     "mysql://root@localhost/db",
		"MANGAHUB_RATE_LIMIT":       "fast",
		"MANGAHUB_TCP_ADDR":         "8081",
		"MANGAHUB_LOG_FORMAT":       "xml",
		"MANGAHUB_FLUSH_BATCH":      "0",
		"MANGAHUB_ACCESS_TOKEN_TTL": "-1s",
	}), []string{"--services=http,ftp"})
	if err == nil {
		t.Fatal("Load accepted a broken configuration")
	}
	for _, want := range []string{"MANGAHUB_FLUSH_INTERVAL", "MANGAHUB_JWT_SECRET", "MANGAHUB_WRITE_MODE", "MANGAHUB_DATABASE_URL",
		"MANGAHUB_RATE_LIMIT", "MANGAHUB_TCP_ADDR", "MANGAHUB_LOG_FORMAT", "MANGAHUB_FLUSH_BATCH", "MANGAHUB_ACCESS_TOKEN_TTL", "--services"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error echoes the secret: %v", err)
	}
}

func TestWriteBehindWithoutRedisIsRefused(t *testing.T) {
	for _, db := range []string{"", "postgres://u@h/db"} {
		_, err := config.Load(env(map[string]string{
			"MANGAHUB_DATABASE_URL": db,
			"MANGAHUB_WRITE_MODE":   "write-behind",
		}), nil)
		if err == nil || !strings.Contains(err.Error(), "MANGAHUB_REDIS_URL") {
			t.Fatalf("database %q: err = %v", db, err)
		}
	}
}

func TestAllowedOrigins(t *testing.T) {
	c, err := config.Load(env(nil), nil)
	if err != nil || len(c.AllowedOrigins) != 0 {
		t.Fatalf("default: %v, %v; want none (same origin only)", c.AllowedOrigins, err)
	}
	c, err = config.Load(env(map[string]string{
		"MANGAHUB_ALLOWED_ORIGINS": " app.example.com, *.example.org ,https://reader.example.net,, localhost:3000",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.example.com", "*.example.org", "https://reader.example.net", "localhost:3000"}
	if strings.Join(c.AllowedOrigins, " ") != strings.Join(want, " ") {
		t.Errorf("AllowedOrigins = %q, want %q", c.AllowedOrigins, want)
	}
	c, err = config.Load(env(nil), []string{"--allowed-origins=a.example.com"})
	if err != nil || len(c.AllowedOrigins) != 1 || c.AllowedOrigins[0] != "a.example.com" {
		t.Errorf("flag: %v, %v", c.AllowedOrigins, err)
	}

	for _, tt := range []struct{ value, want string }{
		{"*", `"*" would allow every site`},
		{"https://*", `"https://*" would allow every site`},
		{"app.example.com/path", `is not an origin`},
		{"ftp://app.example.com", `the scheme must be http or https`},
		{"[a-", `is not a valid pattern`},
	} {
		_, err := config.Load(env(map[string]string{"MANGAHUB_ALLOWED_ORIGINS": "ok.example.com," + tt.value}), nil)
		if err == nil || !strings.Contains(err.Error(), "MANGAHUB_ALLOWED_ORIGINS") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want one naming the variable and saying %q", tt.value, err, tt.want)
		}
	}
}

// TestProblemsInPlainWords: each problem names the variable and says what
// is wrong the way a person would, with the accepted values.
func TestProblemsInPlainWords(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"MANGAHUB_LOG_LEVEL", "loud", `MANGAHUB_LOG_LEVEL (--log-level): "loud" is not one of debug, info, warn, error`},
		{"MANGAHUB_LOG_FORMAT", "xml", `MANGAHUB_LOG_FORMAT (--log-format): "xml" is not one of json, text`},
		{"MANGAHUB_WRITE_MODE", "write-around", `MANGAHUB_WRITE_MODE (--write-mode): "write-around" is not one of write-through, write-behind`},
	} {
		_, err := config.Load(env(map[string]string{tt.name: tt.value}), nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s=%s: %v\nwant %s", tt.name, tt.value, err, tt.want)
		}
	}
}

// TestUsageShowsTheDocumentedDefaults: the help's defaults are the
// README's, not empty strings.
func TestUsageShowsTheDocumentedDefaults(t *testing.T) {
	var b strings.Builder
	config.Usage(&b)
	if strings.Contains(b.String(), `""`) {
		t.Errorf("usage shows an empty default:\n%s", b.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for v, def := range config.Defaults() {
		if !strings.Contains(b.String(), def) {
			t.Errorf("usage does not show %s's default %q", v, def)
		}
		// The README's table row of v holds the same default.
		for line := range strings.Lines(string(readme)) {
			if strings.HasPrefix(line, "| `"+v+"`") && !strings.Contains(line, def) {
				t.Errorf("README row %q does not show the default %q", strings.TrimSpace(line), def)
			}
		}
	}
}
