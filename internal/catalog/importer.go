package catalog

import (
	"context"
	"fmt"

	"github.com/mangahub/mangahub"
)

// ImportResult is what an import did.
type ImportResult struct {
	// Created, Updated and Unchanged count the entries by what became of
	// them; an unchanged entry is not written.
	Created, Updated, Unchanged int
	// Shortened lists the updated manga whose new total_chapters leaves
	// some readers' stored chapter past the end.
	Shortened []Shortened
}

// Shortened is a manga whose chapter count an import lowered below where
// Readers of it are.
type Shortened struct {
	Slug          string
	TotalChapters int
	Readers       int
}

// Import is ImportCatalog for callers that need only how many entries were
// written (created or updated).
func (s *Service) Import(ctx context.Context, manga []*mangahub.Manga) (int, error) {
	res, err := s.ImportCatalog(ctx, manga)
	return res.Created + res.Updated, err
}

// ImportCatalog validates every entry first and writes only when all pass,
// so a typo in entry 900 does not leave 899 entries behind; every problem
// of every entry is reported at once. Each entry is then put by its slug,
// the key of an import: a new slug creates a manga, a known one updates it,
// unless it holds the same content already. Entries are normalised in place
// and receive their IDs and timestamps.
func (s *Service) ImportCatalog(ctx context.Context, manga []*mangahub.Manga) (ImportResult, error) {
	var res ImportResult
	bySlug := make(map[string]int, len(manga))
	var errs []error
	for i, m := range manga {
		if err := normalizeManga(m); err != nil {
			errs = append(errs, atEntry(i, err))
			continue
		}
		if j, dup := bySlug[m.Slug]; dup {
			errs = append(errs, mangahub.FieldError(fmt.Sprintf("[%d].slug", i), "%q is also the slug of entry %d", m.Slug, j))
			continue
		}
		bySlug[m.Slug] = i
	}
	if err := mangahub.ValidationOf(errs...); err != nil {
		return res, err
	}
	defer s.written(ctx)
	for i, m := range manga {
		put, err := s.store.PutManga(ctx, m)
		if err != nil {
			return res, atEntry(i, storeError(err))
		}
		switch put.Outcome {
		case mangahub.PutCreated:
			res.Created++
		case mangahub.PutUpdated:
			res.Updated++
		default:
			res.Unchanged++
		}
		if put.Beyond > 0 && m.TotalChapters != nil {
			res.Shortened = append(res.Shortened, Shortened{Slug: m.Slug, TotalChapters: *m.TotalChapters, Readers: put.Beyond})
		}
	}
	return res, nil
}

// atEntry prefixes a client-safe error with the entry it is about.
func atEntry(i int, err error) error {
	e := *mangahub.AsError(err)
	if e.Code == mangahub.CodeInternal {
		// The message stays "internal error"; the cause, for the log,
		// says where it happened.
		e.Err = fmt.Errorf("entry %d: %w", i, e.Err)
		return &e
	}
	prefix := fmt.Sprintf("[%d]", i)
	if e.Code == mangahub.CodeValidation && len(e.Fields) > 0 {
		problems := make([]mangahub.FieldProblem, len(e.Fields))
		for j, p := range e.Fields {
			p.Field = prefix + "." + p.Field
			problems[j] = p
		}
		return mangahub.Validation(problems...)
	}
	if e.Field != "" {
		e.Field = prefix + "." + e.Field
		e.Message = prefix + "." + e.Message
	} else {
		e.Message = prefix + ": " + e.Message
	}
	return &e
}

// SeedIfEmpty imports the embedded sample catalog when the catalog has no
// manga at all, and returns how many entries it wrote. Two instances seeding
// at once do no harm: the import upserts by slug.
func (s *Service) SeedIfEmpty(ctx context.Context) (int, error) {
	_, total, err := s.store.FindManga(ctx, mangahub.MangaFilter{Sort: mangahub.SortTitle, Limit: 1})
	if err != nil {
		return 0, storeError(err)
	}
	if total > 0 {
		return 0, nil
	}
	sample, err := Sample()
	if err != nil {
		return 0, mangahub.Internal(err)
	}
	return s.Import(ctx, sample)
}
