package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub/internal/client"
)

// revokeTimeout bounds the best-effort revocation of a replaced session.
const revokeTimeout = 5 * time.Second

func (a *app) registerCommand() *cobra.Command {
	var o clientOptions
	var username, email string
	var fromStdin bool
	c := &cobra.Command{
		Use:   "register --username U --email E [--password-stdin]",
		Short: "Create an account on the server",
		Long: `Create an account on the server. The password is typed on the terminal
(twice, without echo), or read from standard input with --password-stdin (one
trailing newline is ignored); it is never taken from a flag. Registering does
not log in: run mangahub login next.`,
		Args:                  positional(),
		DisableFlagsInUseLine: true,
		RunE: a.clientRun(func(cmd *cobra.Command, _ []string) error {
			server, err := o.serverURL()
			if err != nil {
				return err
			}
			password, err := a.readPassword(cmd.Context(), fromStdin, true)
			if err != nil {
				return err
			}
			u, err := client.New(server).Register(cmd.Context(), username, email, password)
			if err != nil {
				return err
			}
			if o.json {
				// The server's answer: the account has no role there.
				return writeJSON(a.env.Stdout, struct {
					UserID    string    `json:"user_id"`
					Username  string    `json:"username"`
					Email     string    `json:"email"`
					CreatedAt time.Time `json:"created_at"`
				}{u.ID, u.Username, u.Email, u.CreatedAt})
			}
			fmt.Fprintf(a.env.Stdout, "registered %s (%s) on %s; log in with: mangahub login --username %s\n", u.Username, u.Email, server, u.Username)
			return nil
		}),
	}
	f := c.Flags()
	f.StringVar(&username, "username", "", "user name: 3–32 of A-Z a-z 0-9 _ . -")
	f.StringVar(&email, "email", "", "email address")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	_ = c.MarkFlagRequired("username")
	_ = c.MarkFlagRequired("email")
	return a.clientCommand(c, &o)
}

func (a *app) loginCommand() *cobra.Command {
	var o clientOptions
	var username string
	var fromStdin bool
	c := &cobra.Command{
		Use:   "login --username U [--password-stdin]",
		Short: "Log in and keep the session",
		Long: `Log in (with the user name or the email address) and keep the session in
the user's configuration directory (on Linux $XDG_CONFIG_HOME/mangahub or
~/.config/mangahub), in credentials.json, readable by its owner only. The
access token is refreshed when it expires. The password is typed on the
terminal without echo, or read from standard input with --password-stdin.`,
		Args:                  positional(),
		DisableFlagsInUseLine: true,
		RunE: a.clientRun(func(cmd *cobra.Command, _ []string) error {
			server, err := o.serverURL()
			if err != nil {
				return err
			}
			file, err := a.credentialStore()
			if err != nil {
				return err
			}
			password, err := a.readPassword(cmd.Context(), fromStdin, false)
			if err != nil {
				return err
			}
			s, err := client.New(server).Login(cmd.Context(), username, password)
			if err != nil {
				return err
			}
			creds := &credentials{
				Server: server, Username: s.Username, UserID: s.UserID,
				RefreshToken: s.RefreshToken, AccessToken: s.AccessToken, AccessExpiresAt: s.ExpiresAt,
			}
			if err := a.keepSession(cmd.Context(), file, creds); err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, map[string]string{"server": server, "username": s.Username, "user_id": s.UserID})
			}
			fmt.Fprintf(a.env.Stdout, "logged in to %s as %s\n", server, s.Username)
			return nil
		}),
	}
	f := c.Flags()
	f.StringVar(&username, "username", "", "user name or email address")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	_ = c.MarkFlagRequired("username")
	return a.clientCommand(c, &o)
}

// keepSession writes a new session over the kept one, and revokes the one
// it replaces when that was on the same server: a refresh token nobody
// keeps should not stay valid for a month.
func (a *app) keepSession(ctx context.Context, file *credentialStore, creds *credentials) error {
	unlock, err := file.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := file.read()
	if err != nil && !errors.Is(err, errNoCredentials) {
		old = nil // a damaged file is simply replaced
	}
	if err := file.write(creds); err != nil {
		return err
	}
	if old != nil && old.Server == creds.Server && old.RefreshToken != creds.RefreshToken {
		rctx, cancel := context.WithTimeout(ctx, revokeTimeout)
		defer cancel()
		_ = client.New(old.Server, client.WithRefreshToken(old.RefreshToken)).Logout(rctx)
	}
	return nil
}

func (a *app) logoutCommand() *cobra.Command {
	var o clientOptions
	c := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the session on the server and remove the kept credentials",
		Long: `Revoke the kept session's refresh token on the server and remove the
credentials file. The file is removed even when the server cannot be
reached; the command then fails, saying so.`,
		Args: positional(),
		RunE: a.clientRun(func(cmd *cobra.Command, _ []string) error {
			server, err := o.serverURL()
			if err != nil {
				return err
			}
			file, err := a.credentialStore()
			if err != nil {
				return err
			}
			unlock, err := file.lock(cmd.Context())
			if err != nil {
				return err
			}
			defer unlock()
			creds, err := file.read()
			if errors.Is(err, errNoCredentials) {
				return a.loggedOut(&o, server, "", false)
			}
			if err == nil && creds.Server != server {
				return fmt.Errorf("logged in to %s, not to %s: pass --server %s to log out", creds.Server, server, creds.Server)
			}
			var revokeErr error
			if err == nil {
				revokeErr = client.New(server, client.WithRefreshToken(creds.RefreshToken)).Logout(cmd.Context())
			}
			if err := file.remove(); err != nil {
				return err
			}
			if revokeErr != nil {
				return fmt.Errorf("removed the kept credentials, but the server did not revoke the session: %s", clientMessage(revokeErr))
			}
			username := ""
			if creds != nil {
				username = creds.Username
			}
			return a.loggedOut(&o, server, username, true)
		}),
	}
	return a.clientCommand(c, &o)
}

func (a *app) loggedOut(o *clientOptions, server, username string, was bool) error {
	if o.json {
		return writeJSON(a.env.Stdout, map[string]any{"server": server, "username": username, "logged_out": was})
	}
	if !was {
		fmt.Fprintf(a.env.Stdout, "not logged in to %s\n", server)
		return nil
	}
	if username == "" {
		fmt.Fprintf(a.env.Stdout, "logged out from %s\n", server)
		return nil
	}
	fmt.Fprintf(a.env.Stdout, "logged out %s from %s\n", username, server)
	return nil
}
