package mangahub

import (
	"context"
	"time"
)

// ReadingStatus is where a user stands with a manga.
type ReadingStatus string

// Reading statuses.
const (
	StatusReading    ReadingStatus = "reading"
	StatusCompleted  ReadingStatus = "completed"
	StatusPlanToRead ReadingStatus = "plan_to_read"
	StatusOnHold     ReadingStatus = "on_hold"
	StatusDropped    ReadingStatus = "dropped"
	StatusReReading  ReadingStatus = "re_reading"
)

// Valid reports whether s is a known reading status.
func (s ReadingStatus) Valid() bool {
	switch s {
	case StatusReading, StatusCompleted, StatusPlanToRead, StatusOnHold, StatusDropped, StatusReReading:
		return true
	}
	return false
}

// Progress is one user's reading state for one manga. Version starts at 1 and
// grows by one with every applied change.
type Progress struct {
	UserID     string        `json:"user_id"`
	MangaID    int64         `json:"manga_id"`
	Chapter    int           `json:"chapter"`
	Status     ReadingStatus `json:"status"`
	LastReadAt time.Time     `json:"last_read_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Version    int64         `json:"version"`
}

// ProgressUpdate is a requested change, as any transport received it. The
// user comes from the caller's Identity, never from here.
type ProgressUpdate struct {
	MangaID         int64
	Chapter         int
	Status          *ReadingStatus
	LastReadAt      *time.Time
	Force           bool
	ExpectedVersion *int64
}

// ProgressFilter selects one user's progress records.
type ProgressFilter struct {
	UserID string
	Status ReadingStatus // empty: any
	Limit  int
	Offset int
}

// ProgressStore persists progress. Stores know no rules beyond an atomic
// compare-and-set by version: the rules live in package progress, so they are
// the same over SQL, Redis and memory.
type ProgressStore interface {
	// FindProgress returns CodeNotFound when there is no record.
	FindProgress(ctx context.Context, userID string, mangaID int64) (*Progress, error)
	// FindProgresses lists a user's records, most recently updated first
	// (ties broken by manga_id).
	FindProgresses(ctx context.Context, f ProgressFilter) ([]*Progress, int, error)
	// PutProgress stores p only if the stored version is p.Version-1 (no
	// record at all when p.Version is 1); otherwise it returns
	// ErrVersionMismatch and changes nothing. A manga that does not exist is
	// CodeMangaNotFound.
	PutProgress(ctx context.Context, p *Progress) error
	// DeleteProgress returns CodeNotFound when there is no record.
	DeleteProgress(ctx context.Context, userID string, mangaID int64) error
}

// ErrVersionMismatch is returned by ProgressStore.PutProgress when another
// writer got there first; the caller re-reads and tries again.
var ErrVersionMismatch = &Error{Code: CodeConflict, Message: "progress was changed concurrently"}
