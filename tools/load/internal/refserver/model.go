package refserver

import "time"

// Manga is the contract's manga object, its fields in MangaHub's order, so
// that the same data encodes to the same bytes.
type Manga struct {
	ID            int64     `json:"id"`
	Slug          string    `json:"slug"`
	Title         string    `json:"title"`
	AltTitles     []string  `json:"alt_titles"`
	Author        string    `json:"author"`
	Status        string    `json:"status"`
	TotalChapters *int      `json:"total_chapters"`
	Year          *int      `json:"year"`
	Description   string    `json:"description"`
	CoverURL      string    `json:"cover_url"`
	Genres        []string  `json:"genres"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// MangaRef is the manga summary a library entry carries.
type MangaRef struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Title         string `json:"title"`
	TotalChapters *int   `json:"total_chapters"`
	CoverURL      string `json:"cover_url"`
}

// Progress is one entry of a user's library.
type Progress struct {
	UserID     string    `json:"user_id"`
	MangaID    int64     `json:"manga_id"`
	Chapter    int       `json:"chapter"`
	Status     string    `json:"status"`
	LastReadAt time.Time `json:"last_read_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

// ProgressItem is a library entry as GET /api/progress lists it.
type ProgressItem struct {
	Progress
	Manga MangaRef `json:"manga"`
}

// Page is the contract's list envelope.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}
