package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
	"github.com/mangahub/mangahub/tools/load/internal/refserver"
)

// serveReference runs the in-memory reference server, filled from a
// running MangaHub.
func serveReference(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("refserver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address (loopback)")
	from := fs.String("from", "http://127.0.0.1:8080", "the MangaHub to copy the catalog and the libraries from")
	tokensPath := fs.String("tokens", "tokens.txt", "tokens of the users to copy (each token's user and library)")
	users := fs.Int("users", 1, "copy the first N users of the tokens file (1–100000)")
	secret := secretFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := loadtest.CheckLoopback(*addr); err != nil {
		return err
	}
	if err := checkHTTPBase(*from); err != nil {
		return err
	}
	key, err := secret()
	if err != nil {
		return err
	}
	if len(key) < 32 {
		return errors.New("refserver needs the server's JWT secret (MANGAHUB_JWT_SECRET or -secret-file), at least 32 bytes")
	}
	tokens, err := loadtest.ReadTokens(*tokensPath)
	if err != nil {
		return err
	}
	tokens = tokens[:min(*users, len(tokens))]
	s := refserver.New(key)
	if err := s.CopyFrom(ctx, *from, tokens); err != nil {
		return fmt.Errorf("copy from %s: %w", *from, err)
	}
	manga, nUsers := s.Counts()
	fmt.Printf("reference server on http://%s, pid %d: %d manga, %d users copied from %s\n", *addr, os.Getpid(), manga, nUsers, *from)
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 10 * time.Second}
	return s.Serve(ctx, srv)
}
