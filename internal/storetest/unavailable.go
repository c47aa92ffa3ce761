package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

// testUnavailable checks that a dead context is reported as unavailable
// (503 at the edge) with the context's own error inside, never as a driver
// message or an internal error.
func testUnavailable(t *testing.T, open func(*testing.T) Stores) {
	s := open(t)
	u := mustCreateUser(t, s, userN(1))
	m := mustCreateManga(t, s, mangaN(1))

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"FindUserByID", func(ctx context.Context) error { _, err := s.Users.FindUserByID(ctx, u.ID); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.Users.CreateUser(ctx, userN(2)) }},
		{"RotateRefreshToken", func(ctx context.Context) error {
			_, err := s.Tokens.RotateRefreshToken(ctx, "h", &mangahub.RefreshToken{Hash: "n"}, time.Now())
			return err
		}},
		{"FindMangaByID", func(ctx context.Context) error { _, err := s.Manga.FindMangaByID(ctx, m.ID); return err }},
		{"FindManga", func(ctx context.Context) error {
			_, _, err := s.Manga.FindManga(ctx, mangahub.MangaFilter{Terms: []string{"manga"}, Sort: mangahub.SortRelevance, Limit: 10})
			return err
		}},
		{"CreateManga", func(ctx context.Context) error { return s.Manga.CreateManga(ctx, mangaN(2)) }},
		{"FindGenres", func(ctx context.Context) error { _, err := s.Manga.FindGenres(ctx); return err }},
		{"PutProgress", func(ctx context.Context) error {
			return put(ctx, s.Progress, &mangahub.Progress{UserID: u.ID, MangaID: m.ID, Status: mangahub.StatusReading, Version: 1})
		}},
		{"FindProgresses", func(ctx context.Context) error {
			_, _, err := s.Progress.FindProgresses(ctx, mangahub.ProgressFilter{UserID: u.ID})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			for _, tt := range []struct {
				ctx  context.Context
				want error
			}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
				err := c.call(tt.ctx)
				wantCode(t, c.name, err, mangahub.CodeUnavailable)
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: error %v does not wrap %v", c.name, err, tt.want)
				}
			}
		})
	}
	// Nothing was written by the dead calls.
	if _, err := s.Users.FindUserByID(t.Context(), userN(2).ID); !mangahub.IsCode(err, mangahub.CodeNotFound) {
		t.Errorf("user of a cancelled CreateUser: %v, want not found", err)
	}
	if _, err := s.Progress.FindProgress(t.Context(), u.ID, m.ID); !mangahub.IsCode(err, mangahub.CodeNotFound) {
		t.Errorf("progress of a cancelled PutProgress: %v, want not found", err)
	}
}
