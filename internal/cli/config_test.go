package cli_test

import (
	"strings"
	"testing"
)

// TestConfigurationErrors: serve reports every problem of its
// configuration at once, in plain words, the secret rule of PostgreSQL
// included, and exits 2 without starting anything.
func TestConfigurationErrors(t *testing.T) {
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{
		"MANGAHUB_DATA_DIR":        t.TempDir(),
		"MANGAHUB_DATABASE_URL":    "postgres://nobody@127.0.0.1:1/none",
		"MANGAHUB_LOG_LEVEL":       "loud",
		"MANGAHUB_WRITE_MODE":      "write-around",
		"MANGAHUB_ALLOWED_ORIGINS": "*",
		"MANGAHUB_FLUSH_INTERVAL":  "soon",
	}}
	r := u.run("", "serve")
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
	}
	for _, want := range []string{
		`MANGAHUB_LOG_LEVEL (--log-level): "loud" is not one of debug, info, warn, error`,
		`MANGAHUB_WRITE_MODE (--write-mode): "write-around" is not one of write-through, write-behind`,
		`MANGAHUB_ALLOWED_ORIGINS (--allowed-origins): "*" would allow every site`,
		`MANGAHUB_FLUSH_INTERVAL (--flush-interval): "soon" is not a duration`,
		`MANGAHUB_JWT_SECRET is required with PostgreSQL`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "slog:") {
		t.Errorf("a library's wording leaked into the report:\n%s", r.stderr)
	}
}

// TestHelpShowsTheDocumentedDefaults: serve --help shows the defaults as
// the README words them, not "".
func TestHelpShowsTheDocumentedDefaults(t *testing.T) {
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{}}
	out := u.must("", "serve", "--help")
	for _, want := range []string{"MANGAHUB_WRITE_MODE", "write-through", "empty: SQLite", "empty: in-process", "empty: same origin", "generated (SQLite)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help does not show %q", want)
		}
	}
	if strings.Contains(out, `""`) {
		t.Errorf("serve --help shows an empty default:\n%s", out)
	}
}
