package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mangahub/mangahub"
)

// MangaQuery selects catalog entries (GET /api/manga). Zero fields are left
// to the server's defaults.
type MangaQuery struct {
	Q      string
	Genres []string
	Status mangahub.MangaStatus
	Author string
	Sort   mangahub.MangaSort
	Limit  int
	Offset int
}

// Page is one page of a listing.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// SearchManga searches and lists the catalog.
func (c *Client) SearchManga(ctx context.Context, q MangaQuery) (*Page[*mangahub.Manga], error) {
	v := url.Values{}
	set(v, "q", q.Q)
	for _, g := range q.Genres {
		v.Add("genre", g)
	}
	set(v, "status", string(q.Status))
	set(v, "author", q.Author)
	set(v, "sort", string(q.Sort))
	setInt(v, "limit", q.Limit)
	setInt(v, "offset", q.Offset)
	var p Page[*mangahub.Manga]
	if err := c.do(ctx, http.MethodGet, "/api/manga", v, nil, &p, true); err != nil {
		return nil, err
	}
	return &p, nil
}

// Manga returns one manga; CodeNotFound when there is none.
func (c *Client) Manga(ctx context.Context, id int64) (*mangahub.Manga, error) {
	var m mangahub.Manga
	if err := c.do(ctx, http.MethodGet, "/api/manga/"+strconv.FormatInt(id, 10), nil, nil, &m, true); err != nil {
		return nil, err
	}
	return &m, nil
}

// MangaSummary is the part of a manga that a library entry carries.
type MangaSummary struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Title         string `json:"title"`
	TotalChapters *int   `json:"total_chapters"`
	CoverURL      string `json:"cover_url"`
}

// LibraryEntry is one item of the user's library: the progress and, when
// the server sends it, a summary of its manga.
type LibraryEntry struct {
	mangahub.Progress
	Manga *MangaSummary `json:"manga,omitempty"`
}

// ProgressQuery selects library entries (GET /api/progress).
type ProgressQuery struct {
	Status mangahub.ReadingStatus
	Limit  int
	Offset int
}

// ListProgress lists the user's library, most recently updated first.
func (c *Client) ListProgress(ctx context.Context, q ProgressQuery) (*Page[*LibraryEntry], error) {
	v := url.Values{}
	set(v, "status", string(q.Status))
	setInt(v, "limit", q.Limit)
	setInt(v, "offset", q.Offset)
	var p Page[*LibraryEntry]
	if err := c.do(ctx, http.MethodGet, "/api/progress", v, nil, &p, true); err != nil {
		return nil, err
	}
	return &p, nil
}

// Progress returns the user's progress on one manga; CodeNotFound when
// there is none.
func (c *Client) Progress(ctx context.Context, mangaID int64) (*mangahub.Progress, error) {
	var p mangahub.Progress
	if err := c.do(ctx, http.MethodGet, "/api/progress/"+strconv.FormatInt(mangaID, 10), nil, nil, &p, true); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProgressSet is a requested change (POST /api/progress).
type ProgressSet struct {
	MangaID         int64                   `json:"manga_id"`
	Chapter         int                     `json:"chapter"`
	Status          *mangahub.ReadingStatus `json:"status,omitempty"`
	LastReadAt      *time.Time              `json:"last_read_at,omitempty"`
	Force           bool                    `json:"force,omitempty"`
	ExpectedVersion *int64                  `json:"expected_version,omitempty"`
}

// Reasons a change was not applied.
const (
	ReasonUnchanged = "unchanged"
	ReasonBackwards = "backwards"
)

// ProgressResult is the answer to a change.
type ProgressResult struct {
	Progress *mangahub.Progress `json:"progress"`
	Applied  bool               `json:"applied"`
	// Reason is set when Applied is false: ReasonUnchanged or
	// ReasonBackwards.
	Reason string `json:"reason,omitempty"`
}

// SetProgress records reading progress. A backward move without Force is
// not an error: it answers Applied false with Reason ReasonBackwards and the
// stored state. Why a change was not applied is the server's to say (its
// progress rules are the only ones), so the reason is passed on as it came.
func (c *Client) SetProgress(ctx context.Context, s ProgressSet) (*ProgressResult, error) {
	var r ProgressResult
	if err := c.do(ctx, http.MethodPost, "/api/progress", nil, s, &r, true); err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteProgress removes a manga from the user's library; CodeNotFound when
// it is not there.
func (c *Client) DeleteProgress(ctx context.Context, mangaID int64) error {
	return c.do(ctx, http.MethodDelete, "/api/progress/"+strconv.FormatInt(mangaID, 10), nil, nil, nil, true)
}

func set(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}

func setInt(v url.Values, key string, n int) {
	if n != 0 {
		v.Set(key, strconv.Itoa(n))
	}
}
