package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

func TestJWTSecretIsGeneratedOnceAndKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := &config.Config{DataDir: dir}

	// Processes starting together agree on one secret.
	var wg sync.WaitGroup
	secrets := make([][]byte, 8)
	for i := range secrets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := server.JWTSecret(cfg)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = s
		}()
	}
	wg.Wait()
	for _, s := range secrets[1:] {
		if string(s) != string(secrets[0]) {
			t.Fatalf("secrets differ: %q vs %q", s, secrets[0])
		}
	}
	if len(secrets[0]) < auth.MinSecretLen {
		t.Fatalf("secret is %d bytes", len(secrets[0]))
	}
	fi, err := os.Stat(filepath.Join(dir, "jwt.secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwt.secret: %v, %v", fi, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only jwt.secret", len(entries))
	}
}

func TestJWTSecretRules(t *testing.T) {
	configured := []byte(strings.Repeat("s", 32))
	if s, err := server.JWTSecret(&config.Config{DataDir: t.TempDir(), JWTSecret: configured}); err != nil || string(s) != string(configured) {
		t.Fatalf("configured secret: %q %v", s, err)
	}
	if _, err := server.JWTSecret(&config.Config{DataDir: t.TempDir(), DatabaseURL: "postgres://x/y"}); err == nil {
		t.Fatal("PostgreSQL without a configured secret was accepted")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jwt.secret"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := server.JWTSecret(&config.Config{DataDir: dir}); err == nil || strings.Contains(err.Error(), "short") {
		t.Fatalf("short stored secret: %v", err)
	}
}
