//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package cli

import "context"

// lockDir does not lock where flock is missing: processes sharing one
// session there may, rarely, both refresh it, and the server then ends the
// session (log in again).
func lockDir(context.Context, string) (func(), error) { return func() {}, nil }
