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
		Short: "Upsert manga and genres from a JSON file, by slug",
		Long: `Upsert manga and genres from a JSON array of manga objects, in the shape the
API returns them (slug, title, alt_titles, author, status, total_chapters,
year, description, cover_url, genres).

The slug is the key: an entry whose slug is in the catalog updates that manga
(every field, genres included), an entry with a new slug creates one, and an
entry without a slug gets one made from its title. An entry identical to the
stored manga is left alone. Every entry is checked before anything is
written, and every problem is reported at once. Fields a manga does not have
are ignored, as the API ignores them, with a warning naming them. A lowered
total_chapters that leaves readers past the end is warned about; their
progress is kept.

The configuration comes from the environment, as for serve.`,
		Args: positional("FILE.json"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			manga, ignored, err := catalog.ParseCatalog(f)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			for _, w := range ignored {
				fmt.Fprintf(a.env.Stderr, "warning: %s: %s: not a manga field, ignored\n", path, w)
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
			res, err := catalog.New(stores.Manga).ImportCatalog(cmd.Context(), manga)
			if err != nil {
				return fmt.Errorf("%s: %w", path, describe(err))
			}
			for _, s := range res.Shortened {
				fmt.Fprintf(a.env.Stderr, "warning: %s now has %d chapters; %d %s stored a later chapter, which is kept\n",
					s.Slug, s.TotalChapters, s.Readers, plural(s.Readers, "reader has", "readers have"))
			}
			fmt.Fprintf(a.env.Stdout, "imported %d manga from %s: %d created, %d updated, %d unchanged\n",
				len(manga), path, res.Created, res.Updated, res.Unchanged)
			return nil
		}),
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
