package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub/internal/catalog"
)

func (a *app) catalogCommand() *cobra.Command {
	return a.group("catalog", "Manage the catalog directly in the database", a.catalogImportCommand())
}

func (a *app) catalogImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.json",
		Short: "Upsert manga and genres from a JSON file",
		Long: `Upsert manga and genres from a JSON array of manga objects, in the shape the
API returns them (slug, title, author, status, total_chapters, year,
description, cover_url, genres). A manga whose slug exists is updated.
The configuration comes from the environment, as for serve.`,
		Args: positional("FILE.json"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			manga, err := catalog.ParseCatalog(f)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			cfg, err := loadConfig(cmd, a.env, nil)
			if cfg == nil {
				return err
			}
			stores, err := openMigratedConfig(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer stores.DB.Close()
			n, err := catalog.New(stores.Manga).Import(cmd.Context(), manga)
			if err != nil {
				return fmt.Errorf("%s: %w", path, describe(err))
			}
			fmt.Fprintf(a.env.Stdout, "imported %d manga\n", n)
			return nil
		}),
	}
}
