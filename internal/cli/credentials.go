package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mangahub/mangahub/internal/client"
)

// credentialsFile is the name of the client's session file in its
// configuration directory.
const credentialsFile = "credentials.json"

// credentials is what login keeps: one account's session on one server.
// The access token is kept too, so that commands run in a row do not each
// spend a refresh.
type credentials struct {
	Server          string    `json:"server"`
	Username        string    `json:"username"`
	UserID          string    `json:"user_id"`
	RefreshToken    string    `json:"refresh_token"`
	AccessToken     string    `json:"access_token,omitempty"`
	AccessExpiresAt time.Time `json:"access_token_expires_at,omitzero"`
}

// sameSession reports whether c and d are the same account on the same
// server (the tokens may differ: another process may have rotated them).
func (c *credentials) sameSession(d *credentials) bool {
	return c.Server == d.Server && c.UserID == d.UserID
}

// credentialStore is the credentials file in its directory (mode 0700; the
// file 0600). The directory is also the lock that processes sharing the
// session take turns with.
type credentialStore struct {
	dir string
}

// credentialStore finds the configuration directory: Env.ConfigDir, or
// os.UserConfigDir()/mangahub (which honours XDG_CONFIG_HOME and HOME).
func (a *app) credentialStore() (*credentialStore, error) {
	if a.env.ConfigDir != "" {
		return &credentialStore{dir: a.env.ConfigDir}, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("find the configuration directory: %w", err)
	}
	return &credentialStore{dir: filepath.Join(base, "mangahub")}, nil
}

func (s *credentialStore) path() string { return filepath.Join(s.dir, credentialsFile) }

// errNoCredentials says that nobody is logged in.
var errNoCredentials = errors.New("no credentials")

// read returns the kept session, or errNoCredentials.
func (s *credentialStore) read() (*credentials, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("read the credentials: %w", err)
	}
	var c credentials
	if err := json.Unmarshal(b, &c); err != nil || c.RefreshToken == "" {
		return nil, fmt.Errorf("%s is damaged: log in again", s.path())
	}
	return &c, nil
}

// write replaces the file atomically: a reader sees the old session or the
// new one, never half of one.
func (s *credentialStore) write(c *credentials) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".credentials-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("keep the credentials: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), s.path())
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("keep the credentials: %w", werr)
	}
	return nil
}

// remove deletes the file; a missing file is not an error.
func (s *credentialStore) remove() error {
	if err := os.Remove(s.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the credentials: %w", err)
	}
	return nil
}

// ensureDir creates the directory, readable by its owner only.
func (s *credentialStore) ensureDir() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", s.dir, err)
	}
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("restrict %s: %w", s.dir, err)
	}
	return nil
}

// lock takes the session lock, waiting at most until ctx ends.
func (s *credentialStore) lock(ctx context.Context) (unlock func(), err error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	return lockDir(ctx, s.dir)
}

// sessionStore is the client's view of one session in the credentials file
// (client.TokenStore): it sees and keeps tokens only while the file still
// holds that session, so that a process never resurrects a session that was
// logged out, nor overwrites another account's.
type sessionStore struct {
	file    *credentialStore
	session *credentials
}

var _ client.TokenStore = (*sessionStore)(nil)

func (s *sessionStore) Lock(ctx context.Context) (func(), error) { return s.file.lock(ctx) }

func (s *sessionStore) Load() (client.Tokens, error) {
	c, err := s.file.read()
	if errors.Is(err, errNoCredentials) {
		return client.Tokens{}, nil
	}
	if err != nil {
		return client.Tokens{}, err
	}
	if !c.sameSession(s.session) {
		return client.Tokens{}, nil
	}
	return client.Tokens{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, ExpiresAt: c.AccessExpiresAt}, nil
}

func (s *sessionStore) Save(t client.Tokens) error {
	c, err := s.file.read()
	if errors.Is(err, errNoCredentials) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.sameSession(s.session) {
		return nil
	}
	c.RefreshToken, c.AccessToken, c.AccessExpiresAt = t.RefreshToken, t.AccessToken, t.ExpiresAt
	return s.file.write(c)
}
