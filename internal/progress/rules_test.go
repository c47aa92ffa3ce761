package progress_test

import (
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/progress"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func stored(chapter int, status mangahub.ReadingStatus, version int64) *mangahub.Progress {
	return &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: chapter, Status: status,
		LastReadAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour), Version: version}
}

func TestApply(t *testing.T) {
	now := t0
	tests := []struct {
		name        string
		cur         *mangahub.Progress
		upd         mangahub.ProgressUpdate
		total       *int
		wantApplied bool
		wantReason  mangahub.Reason // when not applied and no error
		wantCode    mangahub.ErrorCode
		want        *mangahub.Progress // checked when non-nil
	}{
		{
			name: "create defaults to reading, version 1, now",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 3}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 3, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 1},
		},
		{
			name: "create with status and past last_read_at",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 0, Status: ptr(mangahub.StatusPlanToRead), LastReadAt: ptr(t0.Add(-48 * time.Hour))}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 0, Status: mangahub.StatusPlanToRead, LastReadAt: t0.Add(-48 * time.Hour), UpdatedAt: now, Version: 1},
		},
		{
			name: "far-future last_read_at is clamped to now",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 1, LastReadAt: ptr(t0.Add(6 * time.Minute))}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 1, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 1},
		},
		{
			name: "slightly-future last_read_at is kept",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 1, LastReadAt: ptr(t0.Add(4 * time.Minute))}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 1, Status: mangahub.StatusReading, LastReadAt: t0.Add(4 * time.Minute), UpdatedAt: now, Version: 1},
		},
		{
			name: "forward move keeps status, bumps version",
			cur:  stored(10, mangahub.StatusOnHold, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 11}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 11, Status: mangahub.StatusOnHold, LastReadAt: now, UpdatedAt: now, Version: 5},
		},
		{
			name: "backwards move is not applied",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 9, Status: ptr(mangahub.StatusDropped)},
			wantReason: mangahub.ReasonBackwards,
			want:       stored(10, mangahub.StatusReading, 4),
		},
		{
			name: "backwards move with force is applied",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 2, Force: true}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 2, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 5},
		},
		{
			name: "same chapter, no status, no last_read_at changes nothing",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 10},
			wantReason: mangahub.ReasonUnchanged,
			want:       stored(10, mangahub.StatusReading, 4),
		},
		{
			name: "same chapter, same status changes nothing",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 10, Status: ptr(mangahub.StatusReading)},
			wantReason: mangahub.ReasonUnchanged,
			want:       stored(10, mangahub.StatusReading, 4),
		},
		{
			name: "status change alone is applied",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 10, Status: ptr(mangahub.StatusCompleted)}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 10, Status: mangahub.StatusCompleted, LastReadAt: now, UpdatedAt: now, Version: 5},
		},
		{
			name: "later explicit last_read_at alone is applied",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 10, LastReadAt: ptr(t0.Add(-time.Minute))}, wantApplied: true,
			want: &mangahub.Progress{UserID: "u1", MangaID: 7, Chapter: 10, Status: mangahub.StatusReading, LastReadAt: t0.Add(-time.Minute), UpdatedAt: now, Version: 5},
		},
		{
			name: "earlier explicit last_read_at alone changes nothing",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 10, LastReadAt: ptr(t0.Add(-2 * time.Hour))},
			wantReason: mangahub.ReasonUnchanged,
			want:       stored(10, mangahub.StatusReading, 4),
		},
		{
			name: "chapter above total_chapters is invalid",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 11}, total: ptr(10), wantCode: mangahub.CodeValidation,
		},
		{
			name: "chapter equal to total_chapters is fine",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 10}, total: ptr(10), wantApplied: true,
		},
		{
			name: "expected_version mismatch is a conflict carrying the current state",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 12, ExpectedVersion: ptr(int64(3))}, wantCode: mangahub.CodeConflict,
		},
		{
			name: "expected_version match is applied",
			cur:  stored(10, mangahub.StatusReading, 4), upd: mangahub.ProgressUpdate{MangaID: 7, Chapter: 12, ExpectedVersion: ptr(int64(4))}, wantApplied: true,
		},
		{
			name: "expected_version 0 on create is applied",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 1, ExpectedVersion: ptr(int64(0))}, wantApplied: true,
		},
		{
			name: "expected_version 1 with no record is a conflict",
			upd:  mangahub.ProgressUpdate{MangaID: 7, Chapter: 1, ExpectedVersion: ptr(int64(1))}, wantCode: mangahub.CodeConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before mangahub.Progress
			if tt.cur != nil {
				before = *tt.cur
			}
			res, err := progress.Apply(tt.cur, "u1", tt.upd, tt.total, now)
			got, applied := res.Progress, res.Applied
			if code := mangahub.ErrorCodeOf(err); code != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", code, err, tt.wantCode)
			}
			if tt.wantCode == mangahub.CodeConflict {
				if e := mangahub.AsError(err); e.Progress != tt.cur {
					t.Errorf("conflict carries %+v, want the current state %+v", e.Progress, tt.cur)
				}
			}
			if applied != tt.wantApplied {
				t.Errorf("applied = %v, want %v", applied, tt.wantApplied)
			}
			if err == nil && !applied && tt.wantReason == "" {
				t.Fatal("test case: a not-applied update needs wantReason")
			}
			if res.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", res.Reason, tt.wantReason)
			}
			if tt.want != nil && (got == nil || *got != *tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if tt.cur != nil && *tt.cur != before {
				t.Errorf("Apply modified the stored record: %+v", tt.cur)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		upd   mangahub.ProgressUpdate
		field string
	}{
		{mangahub.ProgressUpdate{MangaID: 0, Chapter: 1}, "manga_id"},
		{mangahub.ProgressUpdate{MangaID: -3, Chapter: 1}, "manga_id"},
		{mangahub.ProgressUpdate{MangaID: 1, Chapter: -1}, "chapter"},
		{mangahub.ProgressUpdate{MangaID: 1, Chapter: progress.MaxChapter + 1}, "chapter"},
		{mangahub.ProgressUpdate{MangaID: 1, Status: ptr(mangahub.ReadingStatus("binge"))}, "status"},
		{mangahub.ProgressUpdate{MangaID: 1, LastReadAt: ptr(time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC))}, "last_read_at"},
		{mangahub.ProgressUpdate{MangaID: 1, ExpectedVersion: ptr(int64(-1))}, "expected_version"},
		{mangahub.ProgressUpdate{MangaID: 1, Chapter: 5, Status: ptr(mangahub.StatusReReading)}, ""},
	}
	for _, tt := range tests {
		err := progress.Validate(tt.upd)
		if tt.field == "" {
			if err != nil {
				t.Errorf("Validate(%+v) = %v, want nil", tt.upd, err)
			}
			continue
		}
		if e := mangahub.AsError(err); e.Code != mangahub.CodeValidation || e.Field != tt.field {
			t.Errorf("Validate(%+v) = %v, want validation_failed on %s", tt.upd, err, tt.field)
		}
	}
}
