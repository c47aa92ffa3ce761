package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/config"
)

// secretFile holds the generated JWT secret of the embedded default.
const secretFile = "jwt.secret"

// JWTSecret returns the configured secret or, for the embedded default, the
// one kept in DATA_DIR/jwt.secret, generating it (mode 0600) on first use.
// With PostgreSQL a secret must be configured: instances must share it.
func JWTSecret(cfg *config.Config) ([]byte, error) {
	if len(cfg.JWTSecret) > 0 {
		return cfg.JWTSecret, nil
	}
	if err := cfg.RequireSecret(); err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < auth.MinSecretLen {
			return nil, fmt.Errorf("%s holds %d bytes; at least %d are required (delete it to generate a new one)", path, len(b), auth.MinSecretLen)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read JWT secret: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw)) // 64 printable bytes, used as they are
	// Written to a temporary file, then linked into place: link fails if the
	// name exists, so two processes starting at once agree on one secret and
	// neither ever reads a half-written file.
	tmp, err := os.CreateTemp(cfg.DataDir, secretFile+".*")
	if err != nil {
		return nil, fmt.Errorf("write JWT secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write JWT secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write JWT secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return JWTSecret(cfg)
	} else if err != nil {
		return nil, fmt.Errorf("write JWT secret: %w", err)
	}
	return secret, nil
}
