package cli_test

import (
	"strings"
	"testing"
)

// TestValidationWordedAlike: a new account with three problems is refused
// naming all three, in the same words whether the CLI asks a server
// (register) or writes to the database itself (user create).
func TestValidationWordedAlike(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	u := newUser(t, ts)
	want := "username: must be at least 3 characters; email: must contain exactly one '@'; password: must be at least 8 bytes"

	r := u.run("short\n", "register", "--username", "ab", "--email", "bad", "--password-stdin")
	oneLine(t, r, want)
	if strings.TrimSpace(r.stderr) != want {
		t.Errorf("register said %q, want %q", r.stderr, want)
	}

	u.env["MANGAHUB_DATA_DIR"] = ts.dataDir
	r = u.run("short\n", "user", "create", "--username", "ab", "--email", "bad", "--password-stdin")
	oneLine(t, r, want)
	if strings.TrimSpace(r.stderr) != "mangahub: "+want {
		t.Errorf("user create said %q, want %q", r.stderr, "mangahub: "+want)
	}
}
