package progress

import (
	"time"

	"github.com/mangahub/mangahub"
)

// Limits on what a client may send; beyond them an update is rejected.
const (
	MaxChapter = 1_000_000
	// FutureSkew is how far in the future a client's last_read_at may lie
	// before it is clamped to now (clocks of phones drift).
	FutureSkew = 5 * time.Minute
)

// earliestLastReadAt bounds last_read_at from below: older dates are typos.
var earliestLastReadAt = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks an update on its own, before anything is read, and
// reports every problem at once.
func Validate(upd mangahub.ProgressUpdate) error {
	var errs []error
	if upd.MangaID <= 0 {
		errs = append(errs, mangahub.FieldError("manga_id", "must be at least 1"))
	}
	switch {
	case upd.Chapter < 0:
		errs = append(errs, mangahub.FieldError("chapter", "must be at least 0"))
	case upd.Chapter > MaxChapter:
		errs = append(errs, mangahub.FieldError("chapter", "must be at most %d", MaxChapter))
	}
	if upd.Status != nil && !upd.Status.Valid() {
		errs = append(errs, mangahub.FieldError("status", "must be one of reading, completed, plan_to_read, on_hold, dropped, re_reading"))
	}
	if upd.LastReadAt != nil && upd.LastReadAt.Before(earliestLastReadAt) {
		errs = append(errs, mangahub.FieldError("last_read_at", "must be after 1900-01-01"))
	}
	if upd.ExpectedVersion != nil && *upd.ExpectedVersion < 0 {
		errs = append(errs, mangahub.FieldError("expected_version", "must be at least 0"))
	}
	return mangahub.ValidationOf(errs...)
}

// Apply is the progress rule book, as a pure function: given the stored
// record (nil when there is none), an update of userID's progress that passed
// Validate, the manga's chapter count (nil when unknown) and the server time,
// it returns the record to store and whether anything changed. When nothing
// changes the result holds cur, not applied, and why (ReasonBackwards or
// ReasonUnchanged); a refused update is an error (a conflict carries cur in
// Error.Progress).
//
// The rules (CONTRACT.md §2, "Reading progress"):
//   - chapter is at most the manga's total_chapters when that is known;
//   - expected_version, when given, must equal the stored version (0 when
//     there is no record);
//   - a lower chapter than stored is not applied unless Force: progress never
//     silently moves backwards;
//   - a missing status means reading on create and unchanged on update;
//   - a missing last_read_at means now; one more than FutureSkew ahead is
//     clamped to now; an explicit last_read_at only counts as a change when it
//     is later than the stored one (or Force is set);
//   - version starts at 1 and grows by one per applied change, and never
//     repeats: over a tombstone (cur.Deleted, a deleted record) the update
//     creates the record again at the tombstone's version + 1, and
//     expected_version compares with 0 (there is no record); updated_at is
//     server time.
func Apply(cur *mangahub.Progress, userID string, upd mangahub.ProgressUpdate, totalChapters *int, now time.Time) (mangahub.ProgressResult, error) {
	now = now.UTC().Truncate(time.Microsecond)
	if totalChapters != nil && upd.Chapter > *totalChapters {
		return mangahub.ProgressResult{}, mangahub.FieldError("chapter", "must be at most %d, the manga's chapter count", *totalChapters)
	}
	var stored, base int64 // the version a client sees, the one to continue from
	if cur != nil {
		base = cur.Version
		if cur.Deleted {
			cur = nil
		} else {
			stored = base
		}
	}
	if upd.ExpectedVersion != nil && *upd.ExpectedVersion != stored {
		return mangahub.ProgressResult{}, mangahub.ProgressConflict("expected_version does not match the stored version", cur)
	}

	readAt, explicit := now, false
	if upd.LastReadAt != nil {
		readAt, explicit = upd.LastReadAt.UTC().Truncate(time.Microsecond), true
		if readAt.After(now.Add(FutureSkew)) {
			readAt = now
		}
	}

	if cur == nil {
		status := mangahub.StatusReading
		if upd.Status != nil {
			status = *upd.Status
		}
		return applied(&mangahub.Progress{
			UserID: userID, MangaID: upd.MangaID, Chapter: upd.Chapter, Status: status,
			LastReadAt: readAt, UpdatedAt: now, Version: base + 1,
		}), nil
	}

	if upd.Chapter < cur.Chapter && !upd.Force {
		return notApplied(cur, mangahub.ReasonBackwards), nil
	}
	next := *cur
	next.Chapter = upd.Chapter
	if upd.Status != nil {
		next.Status = *upd.Status
	}
	changed := next.Chapter != cur.Chapter || next.Status != cur.Status
	switch {
	case explicit && (readAt.After(cur.LastReadAt) || upd.Force && !readAt.Equal(cur.LastReadAt)):
		next.LastReadAt = readAt
		changed = true
	case !explicit && changed:
		// Reading a new chapter now: the implicit "now" goes with the change,
		// but on its own it is no change (a repeated update stays a no-op).
		next.LastReadAt = readAt
	}
	if !changed {
		return notApplied(cur, mangahub.ReasonUnchanged), nil
	}
	next.Version = cur.Version + 1
	next.UpdatedAt = now
	return applied(&next), nil
}

func applied(p *mangahub.Progress) mangahub.ProgressResult {
	return mangahub.ProgressResult{Progress: p, Applied: true}
}

func notApplied(cur *mangahub.Progress, why mangahub.Reason) mangahub.ProgressResult {
	return mangahub.ProgressResult{Progress: cur, Reason: why}
}
