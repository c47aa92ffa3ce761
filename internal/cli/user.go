package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
)

func userCreate(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	username := fs.String("username", "", "user name (3–32 of A-Z a-z 0-9 _ . -)")
	email := fs.String("email", "", "email address")
	admin := fs.Bool("admin", false, "give the user the admin role")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *username == "" || *email == "" || !*fromStdin {
		return fmt.Errorf("%w: mangahub user create --username U --email E [--admin] --password-stdin", errUsage)
	}
	password, err := readPassword(env.Stdin)
	if err != nil {
		return err
	}
	stores, err := openMigrated(ctx, env, nil)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	// Creating a user issues no token, so no shared secret is needed here; a
	// throwaway key keeps auth.New's invariant.
	svc := auth.New(stores.Users, stores.Tokens, auth.Config{Secret: []byte(strings.Repeat("x", 32))})
	role := mangahub.RoleUser
	if *admin {
		role = mangahub.RoleAdmin
	}
	u, err := svc.CreateUser(ctx, *username, *email, password, role)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(env.Stdout, "created %s %s (%s)\n", u.Role, u.Username, u.ID)
	return nil
}

// readPassword reads stdin up to its end or first newline; one trailing
// newline (and a CR before it) is not part of the password.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 1024)).ReadString('\n')
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
