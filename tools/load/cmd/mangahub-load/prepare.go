package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
)

// catalogFile writes generated manga for `mangahub catalog import`, the
// contract's way to load a catalog.
func catalogFile(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	n := fs.Int("n", 19800, "generated manga (1–100000)")
	seed := fs.Uint64("seed", 1, "generator seed: the same seed gives the same manga and slugs")
	out := fs.String("out", "catalog.json", "file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 100_000 {
		return fmt.Errorf("-n must be between 1 and 100000")
	}
	b, err := json.Marshal(loadtest.GenerateManga(*n, *seed))
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("%d generated manga in %s (%d KiB); load them with: mangahub catalog import %s\n", *n, *out, len(b)>>10, *out)
	return nil
}

// secretFlag is the server's JWT secret, from MANGAHUB_JWT_SECRET or a
// file (DATA_DIR/jwt.secret of an embedded server), as the contract keeps
// it: the bytes as they are.
func secretFlag(fs *flag.FlagSet) func() ([]byte, error) {
	file := fs.String("secret-file", "", "file holding the server's JWT secret (default: MANGAHUB_JWT_SECRET)")
	return func() ([]byte, error) {
		if *file != "" {
			return os.ReadFile(*file)
		}
		if s := os.Getenv("MANGAHUB_JWT_SECRET"); s != "" {
			return []byte(s), nil
		}
		return nil, nil
	}
}

// users registers load-test users over the API and writes their tokens.
func users(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's HTTP address")
	n := fs.Int("n", 1000, "users (1–100000)")
	prefix := fs.String("prefix", "load_", "user name prefix")
	out := fs.String("out", "tokens.txt", "file for the access tokens, one per line (mode 0600)")
	ttl := fs.Duration("ttl", 2*time.Hour, "lifetime of minted tokens (with a secret)")
	conc := fs.Int("c", 4, "registrations in flight (1–64)")
	library := fs.Int("library", 0, "put the first N manga of the catalog in each user's library (0–100)")
	secret := secretFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *n < 1 || *n > 100_000:
		return fmt.Errorf("-n must be between 1 and 100000")
	case *conc < 1 || *conc > 64:
		return fmt.Errorf("-c must be between 1 and 64")
	case *library < 0 || *library > 100:
		return fmt.Errorf("-library must be between 0 and 100")
	}
	if err := checkHTTPBase(*base); err != nil {
		return err
	}
	key, err := secret()
	if err != nil {
		return err
	}
	api := loadtest.API{Base: *base}
	start := time.Now()
	// Without the secret the tokens are login's, valid for the server's
	// MANGAHUB_ACCESS_TOKEN_TTL.
	accounts, err := api.EnsureAccounts(ctx, *prefix, *n, *conc, key == nil)
	if err != nil {
		return err
	}
	tokens := make([]string, len(accounts))
	for i, a := range accounts {
		tokens[i] = a.Token
		if key != nil {
			if tokens[i], err = loadtest.MintToken(key, a, *ttl, time.Now()); err != nil {
				return err
			}
		}
	}
	how := "logged in (tokens valid for the server's access token TTL)"
	if key != nil {
		how = fmt.Sprintf("tokens minted with the server's secret, valid for %s", *ttl)
	}
	if *library > 0 {
		ids, err := api.MangaIDs(ctx, tokens[0], *library)
		if err != nil {
			return err
		}
		for _, tok := range tokens {
			if err := api.SeedLibrary(ctx, tok, ids); err != nil {
				return err
			}
		}
		how += fmt.Sprintf("; %d manga in each library", len(ids))
	}
	if err := loadtest.WriteTokens(*out, tokens); err != nil {
		return err
	}
	fmt.Printf("%d users ready in %s; %s; tokens in %s\n", len(accounts), time.Since(start).Round(time.Millisecond), how, *out)
	return nil
}

func checkHTTPBase(base string) error {
	if base == "" {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("%q: want http://host:port", base)
	}
	return loadtest.CheckLoopback(strings.TrimSuffix(u.Host, "/"))
}
