package cli_test

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mangahub/mangahub/internal/cli"
)

// Mistakes in how a command is called exit 2, name the mistake, and never
// reach a server (none runs here).
func TestUsageErrors(t *testing.T) {
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{"MANGAHUB_DATA_DIR": t.TempDir()}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "a command is required"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"progress"}, "a subcommand is required"},
		{[]string{"progress", "bogus"}, `unknown command "bogus"`},
		{[]string{"progress", "set", "1"}, "missing CHAPTER"},
		{[]string{"progress", "set", "one", "2"}, `manga ID "one"`},
		{[]string{"progress", "set", "1", "two"}, `CHAPTER "two"`},
		{[]string{"progress", "set", "1", "2", "3"}, `unexpected argument "3"`},
		{[]string{"progress", "set", "1", "2", "--status", "reading-ish"}, "--status"},
		{[]string{"progress", "list", "--status", "done"}, "--status"},
		{[]string{"progress", "get"}, "missing ID"},
		{[]string{"progress", "rm", "0"}, "manga ID"},
		{[]string{"progress", "list", "--server", "ftp://example.com"}, "--server"},
		{[]string{"manga", "search"}, "QUERY"},
		{[]string{"manga", "search", "x", "--limit", "0"}, "--limit"},
		{[]string{"manga", "search", "x", "--status", "finished"}, "--status"},
		{[]string{"manga", "show"}, "missing ID"},
		{[]string{"login"}, `"username"`},
		{[]string{"login", "--username", "a", "--password", "secret"}, "--password"},
		{[]string{"login", "--username", "a"}, "--password-stdin"}, // stdin is no terminal
		{[]string{"register", "--username", "a"}, `"email"`},
		{[]string{"logout", "now"}, `unexpected argument "now"`},
		{[]string{"sync", "watch", "--tcp", "nowhere"}, "--tcp"},
		{[]string{"sync", "watch", "extra"}, `unexpected argument "extra"`},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"catalog", "import"}, "missing FILE.json"},
		{[]string{"catalog", "import", "a.json", "b.json"}, `unexpected argument "b.json"`},
		{[]string{"user", "create", "--username", "u", "--email", "e@example.com"}, `"password-stdin"`},
		{[]string{"serve", "stray"}, `unexpected argument "stray"`},
		{[]string{"serve", "--services=http,ftp"}, "ftp"},
		{[]string{"migrate", "--flush-interval=soon"}, "MANGAHUB_FLUSH_INTERVAL"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := u.run("", tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "--help' for usage") {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
			if r.stdout != "" {
				t.Fatalf("stdout %q on a usage error", r.stdout)
			}
		})
	}
}

// --help prints help and exits 0 on every command of the tree.
func TestHelpEverywhere(t *testing.T) {
	paths := cli.CommandPaths()
	for _, want := range []string{"", "serve", "migrate", "user create", "catalog import", "version", "register", "login", "logout",
		"manga search", "manga show", "progress list", "progress get", "progress set", "progress rm", "sync watch"} {
		if !containsString(paths, want) {
			t.Fatalf("command %q is not in the tree %q", want, paths)
		}
	}
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{}}
	for _, path := range paths {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(path+" "+flag, func(t *testing.T) {
				args := append(strings.Fields(path), flag)
				r := u.run("", args...)
				if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") || !strings.Contains(r.stdout, "mangahub "+path) {
					t.Fatalf("exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
				}
				switch path {
				case "serve", "migrate":
					if !containsAll(r.stdout, "MANGAHUB_HTTP_ADDR", "--http-addr") {
						t.Fatalf("no configuration reference in %q", r.stdout)
					}
				case "version":
					if strings.HasPrefix(r.stdout, "mangahub ") {
						t.Fatalf("version --help printed the version: %q", r.stdout)
					}
				}
			})
		}
	}
	// `help COMMAND` is the same help.
	r := u.run("", "help", "serve")
	if r.code != 0 || !strings.Contains(r.stdout, "MANGAHUB_TCP_ADDR") {
		t.Fatalf("help serve: %d %q", r.code, r.stdout)
	}
}

func containsString(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestVersion(t *testing.T) {
	u := &user{t: t, configDir: t.TempDir(), env: map[string]string{}}
	out := u.must("", "version")
	if !strings.HasPrefix(out, "mangahub ") || !strings.Contains(out, "revision") || !strings.Contains(out, "go:") {
		t.Fatalf("version: %q", out)
	}
	if out := u.must("", "--version"); !strings.HasPrefix(out, "mangahub ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("--version: %q", out)
	}

	rev := "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name     string
		override string
		bi       *debug.BuildInfo
		want     []string
	}{
		{"modified checkout", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
		}}, []string{"mangahub devel-0123456789ab-modified\n", "revision: " + rev + "\n", "time:     2026-01-02T03:04:05Z\n", "modified: true\n", "go:       go1.26.8\n"}},
		{"clean checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102030405-0123456789ab"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"},
		}}, []string{"mangahub v0.0.0-20260102030405-0123456789ab\n", "revision: " + rev + "\n", "modified: false\n"}},
		{"no VCS", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, []string{"mangahub devel\n", "revision: unknown"}},
		{"set at link time", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev},
		}}, []string{"mangahub v1.2.3\n", "revision: " + rev}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			cli.WriteVersion(&b, tc.override, tc.bi)
			if !strings.HasPrefix(b.String(), tc.want[0]) || !containsAll(b.String(), tc.want...) {
				t.Fatalf("got\n%s\nwant the lines %q", b.String(), tc.want)
			}
		})
	}
}
