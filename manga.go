package mangahub

import (
	"context"
	"slices"
	"strings"
	"time"
)

// MangaStatus is the publication status of a series.
type MangaStatus string

// Publication statuses.
const (
	MangaOngoing   MangaStatus = "ongoing"
	MangaCompleted MangaStatus = "completed"
	MangaHiatus    MangaStatus = "hiatus"
	MangaCancelled MangaStatus = "cancelled"
)

// Valid reports whether s is a known status.
func (s MangaStatus) Valid() bool {
	switch s {
	case MangaOngoing, MangaCompleted, MangaHiatus, MangaCancelled:
		return true
	}
	return false
}

// Manga is one series of the catalog.
type Manga struct {
	ID    int64  `json:"id"`
	Slug  string `json:"slug"`
	Title string `json:"title"`
	// AltTitles are other names the series is known by (the romanized
	// original, abbreviations); search matches them like the title.
	AltTitles     []string    `json:"alt_titles"`
	Author        string      `json:"author"`
	Status        MangaStatus `json:"status"`
	TotalChapters *int        `json:"total_chapters"`
	Year          *int        `json:"year"`
	Description   string      `json:"description"`
	CoverURL      string      `json:"cover_url"`
	Genres        []string    `json:"genres"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// MangaSummary is what a library entry shows of its manga, so that a client
// lists a library without a lookup per entry.
type MangaSummary struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Title         string `json:"title"`
	TotalChapters *int   `json:"total_chapters"`
	CoverURL      string `json:"cover_url"`
}

// MangaSort orders catalog listings. Every order breaks ties by id.
type MangaSort string

// Sort orders.
const (
	SortTitle         MangaSort = "title"
	SortUpdatedAtDesc MangaSort = "-updated_at"
	SortYear          MangaSort = "year"
	SortYearDesc      MangaSort = "-year"
	// SortRelevance puts first the manga one of whose names (the title or
	// an alternative title) is the whole query, then ranks by the sum over
	// the terms of each term's best match: a whole word of a name (0), a
	// whole word of the author (1), the start of a word of a name (2) or of
	// the author (3), inside a word of a name (4) or of the author (5);
	// then by title and id. Whole words beat prefixes beat substrings, and
	// at each of these a name beats the author.
	SortRelevance MangaSort = "relevance"
)

// Valid reports whether s is a known sort order.
func (s MangaSort) Valid() bool {
	switch s {
	case SortTitle, SortUpdatedAtDesc, SortYear, SortYearDesc, SortRelevance:
		return true
	}
	return false
}

// MangaFilter selects catalog entries. The catalog service normalises it
// before it reaches a store: Terms come from SearchTerms (folded, none
// empty), Author is folded, Sort and Limit are set. Stores use them as they
// are.
type MangaFilter struct {
	// Terms must each occur in SearchKeys.Text: in the folded title, an
	// alternative title or the author.
	Terms []string
	// Genres must all be attached (names, compared case-insensitively).
	Genres []string
	Status MangaStatus
	// Author matches the folded author as a substring.
	Author string
	Sort   MangaSort
	Limit  int
	Offset int
}

// OptionalInt is a nullable number in a partial update: a nil *OptionalInt
// leaves the field alone, a nil Value sets it to null.
type OptionalInt struct{ Value *int }

// MangaUpdate is a partial update: nil fields are left unchanged.
type MangaUpdate struct {
	Slug          *string
	Title         *string
	AltTitles     *[]string
	Author        *string
	Status        *MangaStatus
	TotalChapters *OptionalInt
	Year          *OptionalInt
	Description   *string
	CoverURL      *string
	Genres        *[]string
}

// GenreKey is what makes two genre names one genre: names compare
// case-insensitively, with Unicode case folding in Go (SQLite's lower()
// folds ASCII only), so every engine and the catalog agree.
func GenreKey(name string) string { return strings.ToLower(name) }

// Genre is a catalog genre with the number of manga that carry it.
type Genre struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	MangaCount int    `json:"manga_count"`
}

// MangaStore persists the catalog. Genre names attached to a manga that do not
// exist yet are created.
type MangaStore interface {
	// FindMangaByID returns CodeNotFound when there is no such manga.
	FindMangaByID(ctx context.Context, id int64) (*Manga, error)
	FindManga(ctx context.Context, f MangaFilter) ([]*Manga, int, error)
	// FindMangaSummaries returns the summaries of the manga with the given
	// IDs, in one statement, ordered by ID; IDs of no manga are left out.
	FindMangaSummaries(ctx context.Context, ids []int64) ([]*MangaSummary, error)
	// CreateManga inserts m and sets its ID and timestamps; a taken slug is
	// CodeConflict.
	CreateManga(ctx context.Context, m *Manga) error
	// UpdateManga applies upd and returns the new state; CodeNotFound,
	// CodeConflict for a taken slug.
	UpdateManga(ctx context.Context, id int64, upd MangaUpdate) (*Manga, error)
	// DeleteManga removes the manga and the progress that refers to it.
	DeleteManga(ctx context.Context, id int64) error
	// PutManga inserts or updates by slug and sets m's ID and timestamps;
	// a manga stored with the same content (SameContent) is left alone.
	PutManga(ctx context.Context, m *Manga) (PutResult, error)

	FindGenres(ctx context.Context) ([]*Genre, error)
	// FindCatalogVersion returns a number that every committed change of
	// the catalog (manga, genres, which manga carry which genre) moves,
	// by whichever process made it: equal numbers, read at two moments,
	// mean the catalog did not change between them.
	FindCatalogVersion(ctx context.Context) (int64, error)
	// FindGenreByID returns CodeNotFound when there is no such genre.
	FindGenreByID(ctx context.Context, id int64) (*Genre, error)
	// CreateGenre inserts a genre; an existing name (case-insensitive) is
	// CodeConflict.
	CreateGenre(ctx context.Context, name string) (*Genre, error)
}

// PutOutcome says what MangaStore.PutManga did.
type PutOutcome string

// Put outcomes.
const (
	PutCreated   PutOutcome = "created"
	PutUpdated   PutOutcome = "updated"
	PutUnchanged PutOutcome = "unchanged"
)

// PutResult is what MangaStore.PutManga did.
type PutResult struct {
	Outcome PutOutcome
	// Beyond counts, after an update that sets total_chapters, the live
	// progress records of the manga at a higher chapter: readers the new
	// count leaves past the end. It is the database's count: changes a
	// write-behind hot store has not flushed yet are not in it.
	Beyond int
}

// SameContent reports whether m and o hold the same catalog entry: every
// field an import sets, genres compared by GenreKey in any order. IDs and
// timestamps do not count.
func (m *Manga) SameContent(o *Manga) bool {
	if m.Slug != o.Slug || m.Title != o.Title || m.Author != o.Author || m.Status != o.Status ||
		m.Description != o.Description || m.CoverURL != o.CoverURL ||
		!sameInt(m.TotalChapters, o.TotalChapters) || !sameInt(m.Year, o.Year) ||
		!slices.Equal(m.AltTitles, o.AltTitles) {
		return false
	}
	return slices.Equal(genreKeys(m.Genres), genreKeys(o.Genres))
}

func sameInt(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// genreKeys returns the distinct keys of names, sorted.
func genreKeys(names []string) []string {
	keys := make([]string, 0, len(names))
	for _, n := range names {
		keys = append(keys, GenreKey(n))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Apply sets on m the fields upd sets. Genres are left alone: stores keep
// them in their own tables and replace them there.
func (upd MangaUpdate) Apply(m *Manga) {
	if upd.Slug != nil {
		m.Slug = *upd.Slug
	}
	if upd.Title != nil {
		m.Title = *upd.Title
	}
	if upd.AltTitles != nil {
		m.AltTitles = *upd.AltTitles
	}
	if upd.Author != nil {
		m.Author = *upd.Author
	}
	if upd.Status != nil {
		m.Status = *upd.Status
	}
	if upd.TotalChapters != nil {
		m.TotalChapters = upd.TotalChapters.Value
	}
	if upd.Year != nil {
		m.Year = upd.Year.Value
	}
	if upd.Description != nil {
		m.Description = *upd.Description
	}
	if upd.CoverURL != nil {
		m.CoverURL = *upd.CoverURL
	}
}
