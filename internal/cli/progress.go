package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/client"
)

const readingStatuses = "reading, completed, plan_to_read, on_hold, dropped, re_reading"

func (a *app) progressCommand() *cobra.Command {
	var o clientOptions
	return a.clientCommand(a.group("progress", "Your library: reading progress per manga",
		a.progressListCommand(&o), a.progressGetCommand(&o), a.progressSetCommand(&o), a.progressRmCommand(&o)), &o)
}

// readingStatus checks a --status value; empty stays empty.
func readingStatus(s string) (mangahub.ReadingStatus, error) {
	st := mangahub.ReadingStatus(s)
	if s != "" && !st.Valid() {
		return "", usageError("--status %q is not one of %s", s, readingStatuses)
	}
	return st, nil
}

// library is the whole library as --json prints it.
type library struct {
	Items []*client.LibraryEntry `json:"items"`
	Total int                    `json:"total"`
}

func (a *app) progressListCommand(o *clientOptions) *cobra.Command {
	var status string
	c := &cobra.Command{
		Use:   "list [--status S]",
		Short: "List your library, most recently updated first",
		Args:  positional(),
		RunE: a.clientRun(func(cmd *cobra.Command, _ []string) error {
			st, err := readingStatus(status)
			if err != nil {
				return err
			}
			s, err := a.session(o)
			if err != nil {
				return err
			}
			lib, err := wholeLibrary(cmd.Context(), s.Client, st)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, lib)
			}
			if len(lib.Items) == 0 {
				if st != "" {
					fmt.Fprintf(a.env.Stdout, "nothing in your library is %s\n", st)
				} else {
					fmt.Fprintln(a.env.Stdout, "your library is empty")
				}
				return nil
			}
			t := newTable(a.env.Stdout, "ID", "TITLE", "CHAPTER", "STATUS", "UPDATED", "VERSION")
			for _, e := range lib.Items {
				var title string
				var total *int
				if e.Manga != nil {
					title, total = e.Manga.Title, e.Manga.TotalChapters
				} else {
					// A server older than the manga summary: ask the catalog.
					m := a.lookupManga(cmd.Context(), s.Client, e.MangaID)
					title, total = m.Title, m.TotalChapters
				}
				t.row(strconv.FormatInt(e.MangaID, 10), clip(title), chapterOf(e.Chapter, total), string(e.Status), when(e.UpdatedAt), strconv.FormatInt(e.Version, 10))
			}
			return t.flush()
		}),
	}
	c.Flags().StringVar(&status, "status", "", "only entries of this status: "+readingStatuses)
	return c
}

// wholeLibrary reads every page of the library. An entry that moves between
// pages while they are read is shown once.
func wholeLibrary(ctx context.Context, c *client.Client, st mangahub.ReadingStatus) (*library, error) {
	lib := &library{Items: []*client.LibraryEntry{}}
	seen := map[int64]bool{}
	for offset := 0; ; offset += maxPageLimit {
		page, err := c.ListProgress(ctx, client.ProgressQuery{Status: st, Limit: maxPageLimit, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, e := range page.Items {
			if !seen[e.MangaID] {
				seen[e.MangaID] = true
				lib.Items = append(lib.Items, e)
			}
		}
		lib.Total = page.Total
		if len(page.Items) < maxPageLimit || offset+len(page.Items) >= page.Total {
			return lib, nil
		}
	}
}

func (a *app) progressGetCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show your progress on one manga",
		Args:  positional("ID"),
		RunE: a.mangaRun(o, func(cmd *cobra.Command, s *session, id int64) error {
			p, err := s.Progress(cmd.Context(), id)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, p)
			}
			m := a.lookupManga(cmd.Context(), s.Client, id)
			fmt.Fprintln(a.env.Stdout, mangaLabel(id, m.Title))
			t := newTable(a.env.Stdout)
			t.row("chapter:", chapterOf(p.Chapter, m.TotalChapters))
			t.row("status:", string(p.Status))
			t.row("last read:", when(p.LastReadAt))
			t.row("updated:", when(p.UpdatedAt))
			t.row("version:", strconv.FormatInt(p.Version, 10))
			return t.flush()
		}),
	}
}

// lookupManga fetches a manga's title for display; a failure only costs the
// title.
func (a *app) lookupManga(ctx context.Context, c *client.Client, id int64) *mangahub.Manga {
	m, err := c.Manga(ctx, id)
	if err != nil {
		return &mangahub.Manga{ID: id}
	}
	return m
}

func (a *app) progressSetCommand(o *clientOptions) *cobra.Command {
	var status string
	var force bool
	c := &cobra.Command{
		Use:   "set ID CHAPTER [--status S] [--force]",
		Short: "Record the chapter you are at (and your reading status)",
		Long: `Record the chapter you are at, and with --status your reading status.
A chapter below the one stored is a move backwards: it is refused (exit
status 1) unless --force is given.`,
		Example: `  mangahub progress set 12 34
  mangahub progress set 12 200 --status completed
  mangahub progress set 12 10 --force`,
		Args:                  positional("ID", "CHAPTER"),
		DisableFlagsInUseLine: true,
		RunE: a.clientRun(func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			chapter, err := strconv.Atoi(args[1])
			if err != nil || chapter < 0 {
				return usageError("CHAPTER %q is not an integer ≥ 0", args[1])
			}
			st, err := readingStatus(status)
			if err != nil {
				return err
			}
			set := client.ProgressSet{MangaID: id, Chapter: chapter, Force: force}
			if st != "" {
				set.Status = &st
			}
			s, err := a.session(o)
			if err != nil {
				return err
			}
			r, err := s.SetProgress(cmd.Context(), set)
			if err != nil {
				return err
			}
			if !r.Applied && r.Reason == client.ReasonBackwards {
				at := "the stored one"
				if r.Progress != nil {
					at = "chapter " + strconv.Itoa(r.Progress.Chapter)
				}
				return fmt.Errorf("not applied: chapter %d is before %s of manga %d, and moving backwards needs --force", chapter, at, id)
			}
			if o.json {
				return writeJSON(a.env.Stdout, r)
			}
			m := a.lookupManga(cmd.Context(), s.Client, id)
			p := r.Progress
			if p == nil {
				return errors.New("the server answered without the progress")
			}
			state := fmt.Sprintf("chapter %s, %s (version %d)", chapterOf(p.Chapter, m.TotalChapters), p.Status, p.Version)
			if r.Applied {
				fmt.Fprintf(a.env.Stdout, "%s: %s\n", mangaLabel(id, m.Title), state)
			} else {
				fmt.Fprintf(a.env.Stdout, "%s: already at %s; nothing changed\n", mangaLabel(id, m.Title), state)
			}
			return nil
		}),
	}
	c.Flags().StringVar(&status, "status", "", "reading status: "+readingStatuses)
	c.Flags().BoolVar(&force, "force", false, "allow moving to an earlier chapter")
	return c
}

func (a *app) progressRmCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "rm ID",
		Aliases: []string{"remove"},
		Short:   "Remove a manga from your library",
		Args:    positional("ID"),
		RunE: a.mangaRun(o, func(cmd *cobra.Command, s *session, id int64) error {
			if err := s.DeleteProgress(cmd.Context(), id); err != nil {
				return err
			}
			if o.json {
				return writeJSON(a.env.Stdout, map[string]any{"manga_id": id, "removed": true})
			}
			fmt.Fprintf(a.env.Stdout, "removed manga %d from your library\n", id)
			return nil
		}),
	}
}
