package cli

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub/internal/client"
)

// defaultServer is the server a client command talks to without --server
// or MANGAHUB_SERVER.
const defaultServer = "http://localhost:8080"

// clientOptions are the flags every client command takes.
type clientOptions struct {
	server string
	json   bool
}

// clientCommand marks c as a client command and gives it (and, as
// persistent flags, its subcommands) --server and --json.
func (a *app) clientCommand(c *cobra.Command, o *clientOptions) *cobra.Command {
	def := a.env.Getenv("MANGAHUB_SERVER")
	if def == "" {
		def = defaultServer
	}
	f := c.PersistentFlags()
	f.StringVar(&o.server, "server", def, "server URL (env MANGAHUB_SERVER)")
	f.BoolVar(&o.json, "json", false, "print JSON instead of text")
	return c
}

// clientRun is run for client commands: errors are reported as the server's
// detail, one line.
func (a *app) clientRun(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return a.run(func(cmd *cobra.Command, args []string) error {
		a.client = true
		return f(cmd, args)
	})
}

// mangaRun is clientRun for a command of one manga ID and the logged-in
// session: the ID is checked before anything is read or sent.
func (a *app) mangaRun(o *clientOptions, f func(cmd *cobra.Command, s *session, id int64) error) func(*cobra.Command, []string) error {
	return a.clientRun(func(cmd *cobra.Command, args []string) error {
		id, err := parseID(args[0])
		if err != nil {
			return err
		}
		s, err := a.session(o)
		if err != nil {
			return err
		}
		return f(cmd, s, id)
	})
}

// serverURL checks --server and returns it without a trailing slash, the
// form the credentials file keeps.
func (o *clientOptions) serverURL() (string, error) {
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("--server %q is not an http:// or https:// URL", o.server)
	}
	return strings.TrimRight(o.server, "/"), nil
}

// session is a logged-in client of the server that o names.
type session struct {
	*client.Client
	creds *credentials
	file  *credentialStore
}

// session opens the kept session for o's server: the access token is
// refreshed when it expires, and the rotated tokens go back to the file.
func (a *app) session(o *clientOptions) (*session, error) {
	server, err := o.serverURL()
	if err != nil {
		return nil, err
	}
	file, err := a.credentialStore()
	if err != nil {
		return nil, err
	}
	creds, err := file.read()
	if errors.Is(err, errNoCredentials) {
		return nil, fmt.Errorf("not logged in to %s: run mangahub login --username NAME", server)
	}
	if err != nil {
		return nil, err
	}
	if creds.Server != server {
		return nil, fmt.Errorf("logged in to %s, not to %s: pass --server %s, or log in to %s", creds.Server, server, creds.Server, server)
	}
	opts := []client.Option{
		client.WithRefreshToken(creds.RefreshToken),
		client.WithTokenStore(&sessionStore{file: file, session: creds}),
	}
	if creds.AccessToken != "" && time.Until(creds.AccessExpiresAt) > time.Minute {
		opts = append(opts, client.WithAccessToken(creds.AccessToken))
	}
	return &session{Client: client.New(server, opts...), creds: creds, file: file}, nil
}
