package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/mangahub/mangahub/internal/catalog"
)

func catalogImport(ctx context.Context, env Env, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	manga, err := catalog.ParseCatalog(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	stores, err := openMigrated(ctx, env, nil)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	n, err := catalog.New(stores.Manga).Import(ctx, manga)
	if err != nil {
		return fmt.Errorf("%s: %w", path, describe(err))
	}
	fmt.Fprintf(env.Stdout, "imported %d manga\n", n)
	return nil
}
