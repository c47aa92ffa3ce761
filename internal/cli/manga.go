package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/client"
)

// maxPageLimit is the largest page the API serves.
const maxPageLimit = 100

func (a *app) mangaCommand() *cobra.Command {
	var o clientOptions
	return a.clientCommand(a.group("manga", "Search and show the catalog",
		a.mangaSearchCommand(&o), a.mangaShowCommand(&o)), &o)
}

func (a *app) mangaSearchCommand(o *clientOptions) *cobra.Command {
	var genres []string
	var status string
	var limit int
	c := &cobra.Command{
		Use:   "search QUERY… [--genre G]… [--status S] [--limit N]",
		Short: "Search the catalog by title, alternative title and author",
		Long: `Search the catalog: every word of QUERY must match the title, an alternative
title or the author, ignoring case and accents. --genre may repeat (every
genre must match). Without QUERY, at least one filter is needed.`,
		Example: `  mangahub manga search one piece
  mangahub manga search --genre Action --genre Comedy --status completed`,
		DisableFlagsInUseLine: true,
		RunE: a.clientRun(func(cmd *cobra.Command, args []string) error {
			q := client.MangaQuery{Q: strings.Join(args, " "), Genres: genres, Status: mangahub.MangaStatus(status), Limit: limit}
			if q.Q == "" && len(q.Genres) == 0 && q.Status == "" {
				return usageError("give a QUERY, a --genre or a --status")
			}
			if q.Status != "" && !q.Status.Valid() {
				return usageError("--status %q is not one of ongoing, completed, hiatus, cancelled", status)
			}
			if limit < 1 || limit > maxPageLimit {
				return usageError("--limit %d is outside 1…%d", limit, maxPageLimit)
			}
			s, err := a.session(o)
			if err != nil {
				return err
			}
			page, err := s.SearchManga(cmd.Context(), q)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, page)
			}
			if len(page.Items) == 0 {
				fmt.Fprintln(a.env.Stdout, "no manga match")
				return nil
			}
			t := newTable(a.env.Stdout, "ID", "TITLE", "AUTHOR", "STATUS", "CHAPTERS", "YEAR")
			for _, m := range page.Items {
				t.row(strconv.FormatInt(m.ID, 10), clip(m.Title), clip(m.Author), string(m.Status), optInt(m.TotalChapters), optInt(m.Year))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.Total > len(page.Items) {
				fmt.Fprintf(a.env.Stdout, "%d of %d shown (--limit up to %d)\n", len(page.Items), page.Total, maxPageLimit)
			}
			return nil
		}),
	}
	f := c.Flags()
	f.StringArrayVar(&genres, "genre", nil, "only manga of this genre (repeat for several)")
	f.StringVar(&status, "status", "", "only manga of this status: ongoing, completed, hiatus, cancelled")
	f.IntVar(&limit, "limit", 20, fmt.Sprintf("show at most this many (1–%d)", maxPageLimit))
	return c
}

func (a *app) mangaShowCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one manga of the catalog",
		Args:  positional("ID"),
		RunE: a.mangaRun(o, func(cmd *cobra.Command, s *session, id int64) error {
			m, err := s.Manga(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, m)
			}
			fmt.Fprintln(a.env.Stdout, mangaLabel(m.ID, m.Title))
			t := newTable(a.env.Stdout)
			if len(m.AltTitles) > 0 {
				t.row("also known as:", strings.Join(m.AltTitles, ", "))
			}
			t.row("author:", m.Author)
			t.row("status:", string(m.Status))
			t.row("chapters:", optInt(m.TotalChapters))
			t.row("year:", optInt(m.Year))
			t.row("genres:", strings.Join(m.Genres, ", "))
			t.row("slug:", m.Slug)
			if m.CoverURL != "" {
				t.row("cover:", m.CoverURL)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if d := strings.TrimSpace(m.Description); d != "" {
				fmt.Fprintf(a.env.Stdout, "\n%s\n", d)
			}
			return nil
		}),
	}
}

// parseID reads a manga ID argument.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageError("manga ID %q is not a positive integer", s)
	}
	return id, nil
}
