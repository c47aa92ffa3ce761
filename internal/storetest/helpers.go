package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

// clockSlack is how far a store's clock (the database server's, for
// PostgreSQL) may be from the test's when checking server-set times.
const clockSlack = time.Minute

func ptr[T any](v T) *T { return &v }

// stored is t as every engine gives it back.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// equal fails the test unless got and want are deeply equal. Times must be
// identical, location included.
func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, w := show(got), show(want)
	if g == w {
		t.Errorf("%s: values print the same but differ (time location or monotonic reading?):\n%s", what, g)
		return
	}
	t.Errorf("%s:\n got: %s\nwant: %s", what, g, w)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, what string, err error, code mangahub.ErrorCode) {
	t.Helper()
	if got := mangahub.ErrorCodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// wantMismatch fails the test unless err is ErrVersionMismatch.
func wantMismatch(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, mangahub.ErrVersionMismatch) {
		t.Errorf("%s: error %v, want ErrVersionMismatch", what, err)
	}
}

// serverTime checks a store-set time: UTC, whole microseconds, and between
// before and after give or take clockSlack.
func serverTime(t testing.TB, what string, got, before, after time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if got.Nanosecond()%1000 != 0 {
		t.Errorf("%s: %v has sub-microsecond digits", what, got)
	}
	if got.Before(before.Add(-clockSlack)) || got.After(after.Add(clockSlack)) {
		t.Errorf("%s: %v, want between %v and %v", what, got, before, after)
	}
}

// userN returns a valid user; n makes its ID, name and email unique.
func userN(n int) *mangahub.User {
	return &mangahub.User{
		ID:           fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Username:     fmt.Sprintf("user%d", n),
		Email:        fmt.Sprintf("user%d@example.com", n),
		PasswordHash: "$2a$10$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
		Role:         mangahub.RoleUser,
		CreatedAt:    time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(n) * time.Second),
	}
}

func mustCreateUser(t testing.TB, s Stores, u *mangahub.User) *mangahub.User {
	t.Helper()
	if err := s.Users.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Username, err)
	}
	return u
}

// mangaN returns a valid manga; n makes its slug unique.
func mangaN(n int) *mangahub.Manga {
	return &mangahub.Manga{
		Slug:   fmt.Sprintf("manga-%d", n),
		Title:  fmt.Sprintf("Manga %d", n),
		Author: "Some Author",
		Status: mangahub.MangaOngoing,
		Genres: []string{},
	}
}

func mustCreateManga(t testing.TB, s Stores, m *mangahub.Manga) *mangahub.Manga {
	t.Helper()
	if err := s.Manga.CreateManga(t.Context(), m); err != nil {
		t.Fatalf("CreateManga(%s): %v", m.Slug, err)
	}
	return m
}

func mustFindManga(t testing.TB, s Stores, id int64) *mangahub.Manga {
	t.Helper()
	m, err := s.Manga.FindMangaByID(t.Context(), id)
	if err != nil {
		t.Fatalf("FindMangaByID(%d): %v", id, err)
	}
	return m
}

// clone copies m deeply enough for the tests to change the copy.
func clone(m *mangahub.Manga) *mangahub.Manga {
	c := *m
	c.Genres = append([]string{}, m.Genres...)
	c.AltTitles = append([]string{}, m.AltTitles...)
	if m.TotalChapters != nil {
		c.TotalChapters = ptr(*m.TotalChapters)
	}
	if m.Year != nil {
		c.Year = ptr(*m.Year)
	}
	return &c
}

// Put stores p as a plain put (created, or updated from a live record at
// p.Version-1).
func Put(ctx context.Context, s mangahub.ProgressStore, p *mangahub.Progress) error {
	_, err := s.ApplyProgress(ctx, mangahub.ProgressChange{Progress: p})
	return err
}

func put(ctx context.Context, s mangahub.ProgressStore, p *mangahub.Progress) error {
	return Put(ctx, s, p)
}

// del deletes the live record at p.Version, keeping a tombstone.
func del(ctx context.Context, s mangahub.ProgressStore, p *mangahub.Progress) error {
	tomb := *p
	tomb.Deleted = true
	_, err := s.ApplyProgress(ctx, mangahub.ProgressChange{Progress: &tomb})
	return err
}

// recreate stores p over the tombstone at p.Version-1.
func recreate(ctx context.Context, s mangahub.ProgressStore, p *mangahub.Progress) error {
	_, err := s.ApplyProgress(ctx, mangahub.ProgressChange{Progress: p, BaseDeleted: true})
	return err
}
