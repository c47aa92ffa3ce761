package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxPasswordInput bounds what is read as a password (the server accepts at
// most 72 bytes; the rest is for a friendlier error from the server).
const maxPasswordInput = 1024

// readPasswordFrom reads r up to its end or first newline; one trailing
// newline (and a CR before it) is not part of the password.
func readPasswordFrom(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordInput)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

// readPassword gets a client command's password: from standard input with
// --password-stdin, otherwise typed on the terminal without echo (twice with
// confirm). Never from a flag: flags end up in shell history and in ps.
func (a *app) readPassword(ctx context.Context, fromStdin, confirm bool) (string, error) {
	if fromStdin {
		return readPasswordFrom(a.env.Stdin)
	}
	f, ok := a.env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageError("standard input is not a terminal: pipe the password in with --password-stdin")
	}
	password, err := promptPassword(ctx, f, a.env.Stderr, "Password: ")
	if err != nil {
		return "", err
	}
	if password == "" {
		return "", errors.New("no password typed")
	}
	if confirm {
		again, err := promptPassword(ctx, f, a.env.Stderr, "Password (again): ")
		if err != nil {
			return "", err
		}
		if again != password {
			return "", errors.New("the two passwords differ")
		}
	}
	return password, nil
}

// promptPassword reads one line from the terminal tty with echo off. An
// interrupt (ctx ends) puts the terminal back as it was: the read that is
// still waiting then dies with the process.
func promptPassword(ctx context.Context, tty *os.File, prompt io.Writer, label string) (string, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(prompt, label)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(prompt)
		if r.err != nil {
			return "", fmt.Errorf("read password: %w", r.err)
		}
		return string(r.b), nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(prompt)
		return "", errors.New("interrupted")
	}
}
