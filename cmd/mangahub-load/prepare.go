package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/mangahub/mangahub/internal/loadtest"
)

func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	n := fs.Int("n", 3000, "generated manga to import (1–100000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 100_000 {
		return fmt.Errorf("-n must be between 1 and 100000")
	}
	stores, _, err := loadtest.OpenStores(ctx)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	start := time.Now()
	written, total, err := loadtest.SeedCatalog(ctx, stores.Manga, *n)
	if err != nil {
		return err
	}
	fmt.Printf("imported %d generated manga into %s in %s; the catalog holds %d\n",
		written, stores.Engine, time.Since(start).Round(time.Millisecond), total)
	return nil
}

func users(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	n := fs.Int("n", 1000, "users (1–100000)")
	prefix := fs.String("prefix", "load_", "user name prefix")
	out := fs.String("out", "tokens.txt", "file for the access tokens, one per line (mode 0600)")
	ttl := fs.Duration("ttl", 2*time.Hour, "access token lifetime")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 100_000 {
		return fmt.Errorf("-n must be between 1 and 100000")
	}
	stores, cfg, err := loadtest.OpenStores(ctx)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	start := time.Now()
	us, err := loadtest.EnsureUsers(ctx, stores.Users, *prefix, *n)
	if err != nil {
		return err
	}
	tokens, err := loadtest.MintTokens(cfg, stores, us, *ttl)
	if err != nil {
		return err
	}
	if err := loadtest.WriteTokens(*out, tokens); err != nil {
		return err
	}
	fmt.Printf("%d users ready in %s (%s); tokens valid for %s in %s\n",
		len(us), stores.Engine, time.Since(start).Round(time.Millisecond), *ttl, *out)
	return nil
}
