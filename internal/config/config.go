// Package config reads MangaHub's configuration from the environment and
// command-line flags (a flag of the same name in kebab-case overrides its
// variable) and validates all of it at once, so an operator sees every
// problem in one run instead of one per restart.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/ratelimit"
)

// Write modes.
const (
	WriteThrough = "write-through"
	WriteBehind  = "write-behind"
)

// Services says which parts a serve process runs.
type Services struct {
	HTTP, TCP, Worker bool
}

func (s Services) String() string {
	var parts []string
	if s.HTTP {
		parts = append(parts, "http")
	}
	if s.TCP {
		parts = append(parts, "tcp")
	}
	if s.Worker {
		parts = append(parts, "worker")
	}
	return strings.Join(parts, ",")
}

// Config is the whole configuration of a process.
type Config struct {
	HTTPAddr    string
	TCPAddr     string
	DataDir     string
	DatabaseURL string // empty: embedded SQLite in DataDir
	RedisURL    string // empty: in-process cache and bus

	WriteMode     string
	FlushInterval time.Duration
	FlushBatch    int

	// JWTSecret is empty when not configured; the server then generates one
	// (embedded storage) or refuses to start (PostgreSQL).
	JWTSecret       []byte
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration

	TCPAuthTimeout     time.Duration
	TCPIdleTimeout     time.Duration
	RateLimit          ratelimit.Limit
	AuthRateLimit      ratelimit.Limit
	TCPMaxConnsPerUser int

	LogLevel  slog.Level
	LogFormat string // json | text

	// AllowedOrigins are the origin patterns (host or scheme://host, with
	// path.Match wildcards) of other sites whose pages may open /ws; empty
	// means the page's own origin only. Clients that send no Origin (not
	// browsers) are always let in.
	AllowedOrigins []string

	// CatalogCacheTTL bounds how stale a catalog read may be: entries of
	// the in-memory catalog cache expire after it (writes on this instance
	// empty it at once), and catalog responses may be reused by clients
	// for as long (Cache-Control max-age). Zero turns both off.
	CatalogCacheTTL time.Duration

	// LibraryCacheTTL bounds how stale a library list may be: without
	// Redis, users' libraries are kept in memory this long (writes on this
	// instance drop them at once). Zero turns it off.
	LibraryCacheTTL time.Duration

	Services Services
}

// option is one configuration entry: its variable, default and parser.
// shown is the default as the reference tables word it, when the value
// itself ("") would say nothing.
type option struct {
	env, def, shown, help string
	set                   func(c *Config, v string) error
}

var options = []option{
	{"MANGAHUB_HTTP_ADDR", ":8080", "", "HTTP API, WebSocket, health and metrics address", func(c *Config, v string) error { return addr(&c.HTTPAddr, v) }},
	{"MANGAHUB_TCP_ADDR", ":8081", "", "TCP sync server address", func(c *Config, v string) error { return addr(&c.TCPAddr, v) }},
	{"MANGAHUB_DATA_DIR", "./data", "", "embedded database and generated secrets", func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{"MANGAHUB_DATABASE_URL", "", "empty: SQLite", "postgres://… selects PostgreSQL; empty is embedded SQLite in the data directory", func(c *Config, v string) error {
		c.DatabaseURL = v
		return urlScheme(v, "postgres", "postgresql")
	}},
	{"MANGAHUB_REDIS_URL", "", "empty: in-process", "redis://… selects Redis (hot store, write-behind queue, cross-instance bus); empty is in-process", func(c *Config, v string) error {
		c.RedisURL = v
		return urlScheme(v, "redis", "rediss")
	}},
	{"MANGAHUB_WRITE_MODE", "", "write-through", "write-through, or write-behind (needs Redis; the default with Redis)", func(c *Config, v string) error {
		switch v {
		case "", WriteThrough, WriteBehind:
			c.WriteMode = v
			return nil
		}
		return fmt.Errorf("%q is not one of %s, %s", v, WriteThrough, WriteBehind)
	}},
	{"MANGAHUB_FLUSH_INTERVAL", "1s", "", "write-behind flush period", func(c *Config, v string) error { return duration(&c.FlushInterval, v, time.Millisecond, 24*time.Hour) }},
	{"MANGAHUB_FLUSH_BATCH", "1000", "", "flush early at this many pending records", func(c *Config, v string) error { return integer(&c.FlushBatch, v, 1, 1_000_000) }},
	{"MANGAHUB_JWT_SECRET", "", "generated (SQLite)", "HMAC secret shared by every instance, at least 32 bytes; required with PostgreSQL", func(c *Config, v string) error {
		if v != "" && len(v) < auth.MinSecretLen {
			return fmt.Errorf("is %d bytes; at least %d are required", len(v), auth.MinSecretLen)
		}
		c.JWTSecret = []byte(v)
		return nil
	}},
	{"MANGAHUB_ACCESS_TOKEN_TTL", "15m", "", "access token lifetime", func(c *Config, v string) error { return duration(&c.AccessTokenTTL, v, time.Second, 24*time.Hour) }},
	{"MANGAHUB_REFRESH_TOKEN_TTL", "720h", "", "refresh token lifetime", func(c *Config, v string) error {
		return duration(&c.RefreshTokenTTL, v, time.Minute, 365*24*time.Hour)
	}},
	{"MANGAHUB_TCP_AUTH_TIMEOUT", "10s", "", "close connections not authenticated by then", func(c *Config, v string) error {
		return duration(&c.TCPAuthTimeout, v, 10*time.Millisecond, time.Hour)
	}},
	{"MANGAHUB_TCP_IDLE_TIMEOUT", "30m", "", "close connections silent for this long", func(c *Config, v string) error {
		return duration(&c.TCPIdleTimeout, v, 10*time.Millisecond, 7*24*time.Hour)
	}},
	{"MANGAHUB_RATE_LIMIT", "20/s,burst=40", "", "progress writes per user", func(c *Config, v string) error { return limit(&c.RateLimit, v) }},
	{"MANGAHUB_AUTH_RATE_LIMIT", "1/s,burst=20", "", "register/login per client address, failed logins per username", func(c *Config, v string) error { return limit(&c.AuthRateLimit, v) }},
	{"MANGAHUB_TCP_MAX_CONNS_PER_USER", "20", "", "live TCP + WebSocket connections per user per instance", func(c *Config, v string) error { return integer(&c.TCPMaxConnsPerUser, v, 1, 100_000) }},
	{"MANGAHUB_ALLOWED_ORIGINS", "", "empty: same origin", "other sites whose pages may open /ws: comma-separated host patterns (app.example.com, *.example.com, https://app.example.com)", func(c *Config, v string) error {
		origins, err := originPatterns(v)
		c.AllowedOrigins = origins
		return err
	}},
	{"MANGAHUB_CATALOG_CACHE_TTL", "5s", "", "how long a manga read by ID, the genre list and the search index are kept in memory, and the max-age of catalog responses; 0 turns both off", func(c *Config, v string) error {
		return duration(&c.CatalogCacheTTL, v, 0, time.Hour)
	}},
	{"MANGAHUB_LIBRARY_CACHE_TTL", "5s", "", "how long a user's library is kept in memory without Redis (writes through this process drop it at once); 0 turns it off", func(c *Config, v string) error {
		return duration(&c.LibraryCacheTTL, v, 0, time.Hour)
	}},
	{"MANGAHUB_LOG_LEVEL", "info", "", "debug, info, warn or error", func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			return c.LogLevel.UnmarshalText([]byte(v))
		}
		return fmt.Errorf("%q is not one of debug, info, warn, error", v)
	}},
	{"MANGAHUB_LOG_FORMAT", "json", "", "json or text", func(c *Config, v string) error {
		if v != "json" && v != "text" {
			return fmt.Errorf("%q is not one of json, text", v)
		}
		c.LogFormat = v
		return nil
	}},
}

// flagName turns MANGAHUB_HTTP_ADDR into http-addr.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "MANGAHUB_")), "_", "-")
}

// Load reads the configuration from getenv, then from args (flags such as
// --http-addr=:9090 and --services=http,tcp). It returns every problem found,
// joined, naming the variable or flag at fault; with them, the configuration
// as far as it could be read, so that a caller may add its own checks
// (RequireSecret) to the same report.
func Load(getenv func(string) string, args []string) (*Config, error) {
	fs := flag.NewFlagSet("mangahub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := make([]*string, len(options))
	for i, o := range options {
		v := getenv(o.env)
		if v == "" {
			v = o.def
		}
		values[i] = fs.String(flagName(o.env), v, o.help+" (env "+o.env+")")
	}
	services := fs.String("services", "http,tcp,worker", "parts to run: any of http, tcp, worker")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	c := &Config{}
	var errs []error
	for i, o := range options {
		if err := o.set(c, *values[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s (--%s): %w", o.env, flagName(o.env), err))
		}
	}
	if err := c.Services.parse(*services); err != nil {
		errs = append(errs, fmt.Errorf("--services: %w", err))
	}
	if c.WriteMode == "" {
		c.WriteMode = WriteThrough
		if c.RedisURL != "" {
			c.WriteMode = WriteBehind
		}
	}
	if c.WriteMode == WriteBehind && c.RedisURL == "" {
		// Pending writes would live only in this process's memory: a crash
		// would lose acknowledged changes.
		errs = append(errs, errors.New("MANGAHUB_WRITE_MODE: write-behind needs MANGAHUB_REDIS_URL (pending writes must survive a crash)"))
	}
	return c, errors.Join(errs...)
}

// Usage writes the flag and variable reference, with the defaults worded as
// the README and docs/configuration.md word them.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Configuration (environment variable, flag, default):")
	for _, o := range options {
		fmt.Fprintf(w, "  %-34s --%-26s %-20s %s\n", o.env, flagName(o.env), o.Default(), o.help)
	}
	fmt.Fprintf(w, "  %-34s --%-26s %-20s %s\n", "", "services", "http,tcp,worker", "parts to run")
}

// Default is the default of o as the reference tables word it.
func (o option) Default() string {
	if o.shown != "" {
		return o.shown
	}
	return o.def
}

// Defaults maps every variable to its default, as Usage shows it.
func Defaults() map[string]string {
	m := make(map[string]string, len(options))
	for _, o := range options {
		m[o.env] = o.Default()
	}
	return m
}

// originPatterns parses MANGAHUB_ALLOWED_ORIGINS: comma-separated patterns
// matched (case-insensitively, with path.Match) against the Origin header's
// host, or against scheme://host when the pattern has a scheme. It refuses
// what cannot match an origin, and "*", which would let every site's pages
// act for the users who visit them.
func originPatterns(v string) ([]string, error) {
	var (
		out  []string
		errs []string
	)
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		host := p
		if scheme, rest, ok := strings.Cut(p, "://"); ok {
			if scheme != "http" && scheme != "https" {
				errs = append(errs, fmt.Sprintf("%q: the scheme must be http or https", p))
				continue
			}
			host = rest
		}
		switch _, err := path.Match(p, ""); {
		case err != nil:
			errs = append(errs, fmt.Sprintf("%q is not a valid pattern", p))
		case host == "" || strings.ContainsAny(host, "/?#@ "):
			errs = append(errs, fmt.Sprintf("%q is not an origin: want a host such as app.example.com, *.example.com or https://app.example.com", p))
		case strings.Trim(host, "*") == "":
			errs = append(errs, fmt.Sprintf("%q would allow every site; list the sites instead", p))
		default:
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

// RequireSecret reports the secret rule of serving with PostgreSQL: every
// instance must share one configured secret, so none may be generated.
func (c *Config) RequireSecret() error {
	if len(c.JWTSecret) == 0 && c.DatabaseURL != "" {
		return errors.New("MANGAHUB_JWT_SECRET is required with PostgreSQL (every instance must share it); set at least 32 bytes")
	}
	return nil
}

func (s *Services) parse(v string) error {
	*s = Services{}
	for _, part := range strings.Split(v, ",") {
		switch strings.TrimSpace(part) {
		case "http":
			s.HTTP = true
		case "tcp":
			s.TCP = true
		case "worker":
			s.Worker = true
		default:
			return fmt.Errorf("unknown service %q (want http, tcp, worker)", part)
		}
	}
	return nil
}

func addr(dst *string, v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q is not host:port", v)
	}
	*dst = v
	return nil
}

func urlScheme(v string, schemes ...string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("is not a URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
}

func duration(dst *time.Duration, v string, min, max time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 500ms, 5m, 720h)", v)
	}
	if d < min || d > max {
		return fmt.Errorf("%s is outside %s…%s", d, min, max)
	}
	*dst = d
	return nil
}

func integer(dst *int, v string, min, max int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not an integer", v)
	}
	if n < min || n > max {
		return fmt.Errorf("%d is outside %d…%d", n, min, max)
	}
	*dst = n
	return nil
}

func limit(dst *ratelimit.Limit, v string) error {
	l, err := ratelimit.ParseLimit(v)
	if err != nil {
		return err
	}
	*dst = l
	return nil
}

// Variables lists every environment variable Load reads, in table order.
func Variables() []string {
	names := make([]string, len(options))
	for i, o := range options {
		names[i] = o.env
	}
	return names
}
