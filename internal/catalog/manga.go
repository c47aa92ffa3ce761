package catalog

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
)

// Limits on a manga's fields (CONTRACT.md §2 Catalog).
const (
	MaxTitleLen       = 300
	MaxAltTitles      = 20
	MaxAuthorLen      = 200
	MaxSlugLen        = 120
	MaxDescriptionLen = 5000
	MaxCoverURLLen    = 2000
	MaxGenresPerManga = 20
	MaxTotalChapters  = 100_000
	MinYear           = 1900
	MaxYear           = 2100
)

// CreateManga validates m, fills in defaults (status ongoing, a slug derived
// from the title) and stores it; m receives its ID and timestamps. A taken
// slug is the store's CodeConflict.
func (s *Service) CreateManga(ctx context.Context, m *mangahub.Manga) error {
	if err := normalizeManga(m); err != nil {
		return err
	}
	defer s.written(ctx)
	if err := s.store.CreateManga(ctx, m); err != nil {
		return storeError(err)
	}
	return nil
}

// UpdateManga validates the fields upd sets and applies them.
func (s *Service) UpdateManga(ctx context.Context, id int64, upd mangahub.MangaUpdate) (*mangahub.Manga, error) {
	if id <= 0 {
		return nil, errMangaNotFound
	}
	upd, err := normalizeUpdate(upd)
	if err != nil {
		return nil, err
	}
	if upd == (mangahub.MangaUpdate{}) {
		// Nothing to change: answer like a write would, without one.
		return s.FindMangaByID(ctx, id)
	}
	defer s.written(ctx)
	m, err := s.store.UpdateManga(ctx, id, upd)
	if err != nil {
		return nil, storeError(err)
	}
	return m, nil
}

// DeleteManga removes a manga and every progress record that refers to it.
func (s *Service) DeleteManga(ctx context.Context, id int64) error {
	if id <= 0 {
		return errMangaNotFound
	}
	if s.beforeDelete != nil {
		if _, err := s.store.FindMangaByID(ctx, id); err != nil {
			return storeError(err)
		}
		if err := s.beforeDelete(ctx, id); err != nil {
			return storeError(err)
		}
	}
	defer s.written(ctx)
	if err := s.store.DeleteManga(ctx, id); err != nil {
		return storeError(err)
	}
	return nil
}

// normalizeManga checks a whole manga for create or import and rewrites it
// into its stored form, reporting every problem at once. Server-owned
// fields are cleared: the store sets them.
func normalizeManga(m *mangahub.Manga) error {
	if m == nil {
		return mangahub.FieldError("manga", "is required")
	}
	m.ID = 0
	m.CreatedAt, m.UpdatedAt = time.Time{}, time.Time{}

	var errs []error
	check := func(err error) { errs = append(errs, err) }
	var err error
	m.Title, err = cleanTitle(m.Title)
	check(err)
	m.AltTitles, err = cleanAltTitles(m.AltTitles)
	check(err)
	m.Author, err = cleanAuthor(m.Author)
	check(err)
	if m.Slug = strings.TrimSpace(m.Slug); m.Slug == "" {
		m.Slug = deriveSlug(m.Title)
	} else {
		check(checkSlug(m.Slug))
	}
	if m.Status == "" {
		m.Status = mangahub.MangaOngoing
	} else {
		check(checkStatus(m.Status))
	}
	check(checkTotalChapters(m.TotalChapters))
	check(checkYear(m.Year))
	m.Description, err = cleanDescription(m.Description)
	check(err)
	m.CoverURL, err = cleanCoverURL(m.CoverURL)
	check(err)
	m.Genres, err = cleanMangaGenres(m.Genres)
	check(err)
	if m.Genres == nil {
		m.Genres = []string{}
	}
	return mangahub.ValidationOf(errs...)
}

// normalizeUpdate checks the fields upd sets and returns a copy holding their
// stored form, reporting every problem at once; the caller's values are not
// modified.
func normalizeUpdate(upd mangahub.MangaUpdate) (mangahub.MangaUpdate, error) {
	var (
		out  mangahub.MangaUpdate
		errs []error
	)
	if upd.Title != nil {
		v, err := cleanTitle(*upd.Title)
		out.Title, errs = &v, append(errs, err)
	}
	if upd.AltTitles != nil {
		v, err := cleanAltTitles(*upd.AltTitles)
		out.AltTitles, errs = &v, append(errs, err)
	}
	if upd.Author != nil {
		v, err := cleanAuthor(*upd.Author)
		out.Author, errs = &v, append(errs, err)
	}
	if upd.Slug != nil {
		v := strings.TrimSpace(*upd.Slug)
		out.Slug, errs = &v, append(errs, checkSlug(v))
	}
	if upd.Status != nil {
		v := *upd.Status
		out.Status, errs = &v, append(errs, checkStatus(v))
	}
	if upd.TotalChapters != nil {
		out.TotalChapters = &mangahub.OptionalInt{Value: copyInt(upd.TotalChapters.Value)}
		errs = append(errs, checkTotalChapters(upd.TotalChapters.Value))
	}
	if upd.Year != nil {
		out.Year = &mangahub.OptionalInt{Value: copyInt(upd.Year.Value)}
		errs = append(errs, checkYear(upd.Year.Value))
	}
	if upd.Description != nil {
		v, err := cleanDescription(*upd.Description)
		out.Description, errs = &v, append(errs, err)
	}
	if upd.CoverURL != nil {
		v, err := cleanCoverURL(*upd.CoverURL)
		out.CoverURL, errs = &v, append(errs, err)
	}
	if upd.Genres != nil {
		v, err := cleanMangaGenres(*upd.Genres)
		if v == nil {
			v = []string{} // set, to none
		}
		out.Genres, errs = &v, append(errs, err)
	}
	if err := mangahub.ValidationOf(errs...); err != nil {
		return mangahub.MangaUpdate{}, err
	}
	return out, nil
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cleanTitle(s string) (string, error) {
	s = strings.TrimSpace(s)
	return s, checkLine("title", s, MaxTitleLen)
}

// cleanAltTitles trims the alternative titles, checks each like a title and
// drops repeats; the result is never nil.
func cleanAltTitles(in []string) ([]string, error) {
	if len(in) > MaxAltTitles {
		return nil, mangahub.FieldError("alt_titles", "must list at most %d titles", MaxAltTitles)
	}
	out := make([]string, 0, len(in))
	var errs []error
	for i, t := range in {
		t = strings.TrimSpace(t)
		if err := checkLine(fmt.Sprintf("alt_titles[%d]", i), t, MaxTitleLen); err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, mangahub.ValidationOf(errs...)
}

// cleanAuthor requires an author: search matches title and author, and a
// blank author would be a hole in every listing.
func cleanAuthor(s string) (string, error) {
	s = strings.TrimSpace(s)
	return s, checkLine("author", s, MaxAuthorLen)
}

// checkLine checks a required single-line text field of at most max
// characters.
func checkLine(field, s string, max int) error {
	switch {
	case s == "":
		return mangahub.FieldError(field, "is required")
	case !utf8.ValidString(s):
		return mangahub.FieldError(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return mangahub.FieldError(field, "must be at most %d characters", max)
	case strings.ContainsFunc(s, unicode.IsControl):
		return mangahub.FieldError(field, "must not contain control characters")
	}
	return nil
}

func cleanDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return s, mangahub.FieldError("description", "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxDescriptionLen:
		return s, mangahub.FieldError("description", "must be at most %d characters", MaxDescriptionLen)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return s, mangahub.FieldError("description", "must not contain control characters other than line breaks and tabs")
	}
	return s, nil
}

// cleanCoverURL accepts only absolute http(s) URLs: the web pages put it in
// an <img src>, where "javascript:" or "data:" would be trouble.
func cleanCoverURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return s, nil
	}
	if len(s) > MaxCoverURLLen {
		return s, mangahub.FieldError("cover_url", "must be at most %d bytes", MaxCoverURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return s, mangahub.FieldError("cover_url", "must be an http or https URL")
	}
	return s, nil
}

func checkStatus(st mangahub.MangaStatus) error {
	if !st.Valid() {
		return mangahub.FieldError("status", "must be one of ongoing, completed, hiatus, cancelled")
	}
	return nil
}

func checkTotalChapters(n *int) error {
	if n != nil && (*n < 0 || *n > MaxTotalChapters) {
		return mangahub.FieldError("total_chapters", "must be between 0 and %d, or null", MaxTotalChapters)
	}
	return nil
}

func checkYear(y *int) error {
	if y != nil && (*y < MinYear || *y > MaxYear) {
		return mangahub.FieldError("year", "must be between %d and %d, or null", MinYear, MaxYear)
	}
	return nil
}

func cleanMangaGenres(in []string) ([]string, error) {
	if len(in) > MaxGenresPerManga {
		return nil, mangahub.FieldError("genres", "must list at most %d genres", MaxGenresPerManga)
	}
	return cleanGenres(in, "genres")
}
