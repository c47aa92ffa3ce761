package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/cli"
)

// user is one person at a terminal.
type user struct {
	t   *testing.T
	env map[string]string
}

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs one command with stdin and a 30 s limit.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := cli.Run(ctx, cli.Env{
		Args: args, Getenv: func(k string) string { return u.env[k] },
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
	})
	return result{code, stdout.String(), stderr.String()}
}

// must runs a command that has to succeed and returns its output.
func (u *user) must(stdin string, args ...string) string {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != 0 {
		u.t.Fatalf("mangahub %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		u.t.Fatalf("mangahub %s: stderr %q on success", strings.Join(args, " "), r.stderr)
	}
	return r.stdout
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
