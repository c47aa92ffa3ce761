package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

// progressFixture is a user, another user and three manga.
type progressFixture struct {
	s      Stores
	user   *mangahub.User
	other  *mangahub.User
	mangas []*mangahub.Manga
}

func newProgressFixture(t *testing.T, open func(*testing.T) Stores) progressFixture {
	t.Helper()
	s := open(t)
	fx := progressFixture{s: s, user: mustCreateUser(t, s, userN(1)), other: mustCreateUser(t, s, userN(2))}
	for i := range 3 {
		fx.mangas = append(fx.mangas, mustCreateManga(t, s, mangaN(i)))
	}
	return fx
}

var progressT0 = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

func (fx progressFixture) progress(mangaIdx, chapter int, version int64) *mangahub.Progress {
	return &mangahub.Progress{
		UserID:     fx.user.ID,
		MangaID:    fx.mangas[mangaIdx].ID,
		Chapter:    chapter,
		Status:     mangahub.StatusReading,
		LastReadAt: progressT0.Add(time.Duration(chapter) * time.Minute),
		UpdatedAt:  progressT0.Add(time.Duration(version) * time.Second),
		Version:    version,
	}
}

func (fx progressFixture) mustPut(t *testing.T, p *mangahub.Progress) {
	t.Helper()
	if err := put(t.Context(), fx.s.Progress, p); err != nil {
		t.Fatalf("PutProgress(%+v): %v", p, err)
	}
}

func (fx progressFixture) mustFind(t *testing.T, userID string, mangaID int64) *mangahub.Progress {
	t.Helper()
	p, err := fx.s.Progress.FindProgress(t.Context(), userID, mangaID)
	if err != nil {
		t.Fatalf("FindProgress: %v", err)
	}
	return p
}

func testProgress(t *testing.T, open func(*testing.T) Stores) {
	t.Run("CreateAndFind", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		zone := time.FixedZone("JST", 9*60*60)
		p := &mangahub.Progress{
			UserID:     fx.user.ID,
			MangaID:    fx.mangas[0].ID,
			Chapter:    42,
			Status:     mangahub.StatusOnHold,
			LastReadAt: time.Date(2024, 3, 1, 12, 0, 0, 123456789, zone),
			UpdatedAt:  time.Date(2024, 3, 1, 12, 0, 1, 999999999, zone),
			Version:    1,
		}
		fx.mustPut(t, p)
		want := *p
		want.LastReadAt, want.UpdatedAt = stored(p.LastReadAt), stored(p.UpdatedAt)
		equal(t, "FindProgress", *fx.mustFind(t, fx.user.ID, p.MangaID), want)
	})

	t.Run("CompareAndSet", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		ctx := t.Context()
		v1 := fx.progress(0, 10, 1)
		fx.mustPut(t, v1)

		for _, tt := range []struct {
			name string
			p    *mangahub.Progress
		}{
			{"create again", fx.progress(0, 11, 1)},
			{"skip a version", fx.progress(0, 11, 3)},
			{"far ahead", fx.progress(0, 11, 100)},
			{"update without a record", fx.progress(1, 11, 2)},
		} {
			wantMismatch(t, tt.name, put(ctx, fx.s.Progress, tt.p))
		}
		equal(t, "record after the refused writes", *fx.mustFind(t, fx.user.ID, v1.MangaID), *v1)
		_, err := fx.s.Progress.FindProgress(ctx, fx.user.ID, fx.mangas[1].ID)
		wantCode(t, "record of the refused update", err, mangahub.CodeNotFound)

		v2 := fx.progress(0, 12, 2)
		v2.Status = mangahub.StatusCompleted
		fx.mustPut(t, v2)
		equal(t, "record at version 2", *fx.mustFind(t, fx.user.ID, v1.MangaID), *v2)
		wantMismatch(t, "version 2 again", put(ctx, fx.s.Progress, fx.progress(0, 13, 2)))

		if err := put(ctx, fx.s.Progress, fx.progress(0, 13, 0)); err == nil {
			t.Error("PutProgress(version 0) = nil, want an error")
		}
		equal(t, "record after the refused writes", *fx.mustFind(t, fx.user.ID, v1.MangaID), *v2)
	})

	t.Run("UnknownParents", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		ctx := t.Context()
		missing := fx.mangas[2].ID + 1000
		tests := []struct {
			name    string
			userID  string
			mangaID int64
			version int64
			code    mangahub.ErrorCode
		}{
			{"unknown manga, create", fx.user.ID, missing, 1, mangahub.CodeMangaNotFound},
			{"unknown manga, update", fx.user.ID, missing, 2, mangahub.CodeMangaNotFound},
			{"unknown user, create", userN(9).ID, fx.mangas[0].ID, 1, mangahub.CodeNotFound},
			{"both unknown", userN(9).ID, missing, 1, mangahub.CodeMangaNotFound},
		}
		for _, tt := range tests {
			p := fx.progress(0, 1, tt.version)
			p.UserID, p.MangaID = tt.userID, tt.mangaID
			wantCode(t, tt.name, put(ctx, fx.s.Progress, p), tt.code)
		}
	})

	t.Run("FindNotFound", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		fx.mustPut(t, fx.progress(0, 1, 1))
		_, err := fx.s.Progress.FindProgress(t.Context(), fx.other.ID, fx.mangas[0].ID)
		wantCode(t, "another user's record", err, mangahub.CodeNotFound)
		_, err = fx.s.Progress.FindProgress(t.Context(), fx.user.ID, fx.mangas[1].ID)
		wantCode(t, "another manga's record", err, mangahub.CodeNotFound)
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		u := mustCreateUser(t, s, userN(1))
		other := mustCreateUser(t, s, userN(2))
		var ms []*mangahub.Manga
		for i := range 5 {
			ms = append(ms, mustCreateManga(t, s, mangaN(i)))
		}
		at := func(sec int) time.Time { return progressT0.Add(time.Duration(sec) * time.Second) }
		add := func(userID string, m int, status mangahub.ReadingStatus, updated time.Time) *mangahub.Progress {
			p := &mangahub.Progress{UserID: userID, MangaID: ms[m].ID, Chapter: m, Status: status,
				LastReadAt: progressT0, UpdatedAt: updated, Version: 1}
			if err := put(ctx, s.Progress, p); err != nil {
				t.Fatalf("PutProgress: %v", err)
			}
			return p
		}
		// Inserted out of order; m1 and m3 tie on updated_at, so manga_id
		// decides between them.
		p2 := add(u.ID, 2, mangahub.StatusReading, at(30))
		p0 := add(u.ID, 0, mangahub.StatusCompleted, at(10))
		p3 := add(u.ID, 3, mangahub.StatusReading, at(20))
		p1 := add(u.ID, 1, mangahub.StatusReading, at(20))
		p4 := add(u.ID, 4, mangahub.StatusDropped, at(40))
		add(other.ID, 0, mangahub.StatusReading, at(50))

		tests := []struct {
			name string
			f    mangahub.ProgressFilter
			want []*mangahub.Progress
		}{
			{"all", mangahub.ProgressFilter{UserID: u.ID}, []*mangahub.Progress{p4, p2, p1, p3, p0}},
			{"limit", mangahub.ProgressFilter{UserID: u.ID, Limit: 2}, []*mangahub.Progress{p4, p2}},
			{"limit and offset", mangahub.ProgressFilter{UserID: u.ID, Limit: 2, Offset: 2}, []*mangahub.Progress{p1, p3}},
			{"last page", mangahub.ProgressFilter{UserID: u.ID, Limit: 2, Offset: 4}, []*mangahub.Progress{p0}},
			{"past the end", mangahub.ProgressFilter{UserID: u.ID, Limit: 2, Offset: 5}, []*mangahub.Progress{}},
			{"offset without limit", mangahub.ProgressFilter{UserID: u.ID, Offset: 3}, []*mangahub.Progress{p3, p0}},
			{"status", mangahub.ProgressFilter{UserID: u.ID, Status: mangahub.StatusReading}, []*mangahub.Progress{p2, p1, p3}},
			{"status and limit", mangahub.ProgressFilter{UserID: u.ID, Status: mangahub.StatusReading, Limit: 1, Offset: 1},
				[]*mangahub.Progress{p1}},
			{"status without records", mangahub.ProgressFilter{UserID: u.ID, Status: mangahub.StatusOnHold}, []*mangahub.Progress{}},
			{"unknown user", mangahub.ProgressFilter{UserID: userN(9).ID}, []*mangahub.Progress{}},
		}
		totals := map[string]int{"status": 3, "status and limit": 3, "status without records": 0, "unknown user": 0}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := s.Progress.FindProgresses(ctx, tt.f)
				if err != nil {
					t.Fatalf("FindProgresses: %v", err)
				}
				equal(t, "page", got, tt.want)
				wantTotal, ok := totals[tt.name]
				if !ok {
					wantTotal = 5
				}
				if total != wantTotal {
					t.Errorf("total = %d, want %d", total, wantTotal)
				}
			})
		}
	})

	t.Run("Delete", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		ctx := t.Context()
		mine := fx.progress(0, 5, 1)
		theirs := fx.progress(0, 6, 1)
		theirs.UserID = fx.other.ID
		fx.mustPut(t, mine)
		fx.mustPut(t, fx.progress(0, 6, 2))
		fx.mustPut(t, theirs)
		v2 := fx.progress(0, 6, 2)

		wantMismatch(t, "delete at an older version", del(ctx, fx.s.Progress, mine))
		wantMismatch(t, "delete without a record", del(ctx, fx.s.Progress, fx.progress(1, 0, 1)))
		if err := del(ctx, fx.s.Progress, v2); err != nil {
			t.Fatalf("delete: %v", err)
		}
		tomb := *v2
		tomb.Deleted = true
		equal(t, "FindProgress after delete: the tombstone", *fx.mustFind(t, fx.user.ID, v2.MangaID), tomb)
		wantMismatch(t, "delete twice", del(ctx, fx.s.Progress, v2))
		page, total, err := fx.s.Progress.FindProgresses(ctx, mangahub.ProgressFilter{UserID: fx.user.ID})
		if err != nil {
			t.Fatalf("FindProgresses: %v", err)
		}
		equal(t, "library after delete", page, []*mangahub.Progress{})
		if total != 0 {
			t.Errorf("total after delete = %d, want 0", total)
		}
		equal(t, "the other user's record", *fx.mustFind(t, fx.other.ID, theirs.MangaID), *theirs)
		all, total, err := fx.s.Progress.FindProgresses(ctx, mangahub.ProgressFilter{UserID: fx.user.ID, IncludeDeleted: true})
		if err != nil {
			t.Fatalf("FindProgresses(IncludeDeleted): %v", err)
		}
		equal(t, "library with tombstones", all, []*mangahub.Progress{&tomb})
		if total != 1 {
			t.Errorf("total with tombstones = %d, want 1", total)
		}

		// Versions never repeat: the record comes back at version 3, only
		// from the tombstone.
		wantMismatch(t, "create again at version 1", put(ctx, fx.s.Progress, fx.progress(0, 7, 1)))
		wantMismatch(t, "re-create as if from a live record", put(ctx, fx.s.Progress, fx.progress(0, 7, 3)))
		wantMismatch(t, "re-create skipping a version", recreate(ctx, fx.s.Progress, fx.progress(0, 7, 4)))
		v3 := fx.progress(0, 7, 3)
		if err := recreate(ctx, fx.s.Progress, v3); err != nil {
			t.Fatalf("re-create at version 3: %v", err)
		}
		equal(t, "re-created record", *fx.mustFind(t, fx.user.ID, v3.MangaID), *v3)
		wantMismatch(t, "re-create twice", recreate(ctx, fx.s.Progress, fx.progress(0, 8, 3)))
	})

	t.Run("Readers", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		ctx := t.Context()
		mine, theirs := fx.progress(0, 1, 1), fx.progress(0, 2, 1)
		theirs.UserID = fx.other.ID
		fx.mustPut(t, mine)
		fx.mustPut(t, theirs)
		fx.mustPut(t, fx.progress(1, 1, 1))
		readers, err := fx.s.Progress.FindReaders(ctx, fx.mangas[0].ID)
		if err != nil {
			t.Fatalf("FindReaders: %v", err)
		}
		slices.Sort(readers)
		equal(t, "readers", readers, []string{fx.user.ID, fx.other.ID})
		if err := del(ctx, fx.s.Progress, theirs); err != nil {
			t.Fatal(err)
		}
		readers, err = fx.s.Progress.FindReaders(ctx, fx.mangas[0].ID)
		if err != nil {
			t.Fatalf("FindReaders: %v", err)
		}
		equal(t, "readers after a delete", readers, []string{fx.user.ID})
		readers, err = fx.s.Progress.FindReaders(ctx, fx.mangas[2].ID)
		if err != nil {
			t.Fatalf("FindReaders: %v", err)
		}
		equal(t, "readers of a manga nobody reads", len(readers), 0)
	})

	t.Run("ConcurrentCreate", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		const n = 8
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make([]error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = put(t.Context(), fx.s.Progress, fx.progress(0, 100+i, 1))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("creates %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			default:
				wantMismatch(t, fmt.Sprintf("create %d", i), err)
			}
		}
		if winner < 0 {
			t.Fatal("no create succeeded")
		}
		equal(t, "stored record", *fx.mustFind(t, fx.user.ID, fx.mangas[0].ID), *fx.progress(0, 100+winner, 1))
	})

	t.Run("ConcurrentCompareAndSet", func(t *testing.T) {
		// Eight writers race read-modify-write loops on one record. Each
		// successful write must own exactly one version: no two writers
		// succeed from the same version (a lost update), none is skipped,
		// and the record ends as the last successful write left it.
		fx := newProgressFixture(t, open)
		fx.mustPut(t, fx.progress(0, 0, 1))
		const (
			writers  = 8
			attempts = 15
		)
		type success struct {
			version int64
			chapter int
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			successes []success
			failures  []error
			start     = make(chan struct{})
		)
		for w := range writers {
			wg.Go(func() {
				<-start
				for a := range attempts {
					cur, err := fx.s.Progress.FindProgress(t.Context(), fx.user.ID, fx.mangas[0].ID)
					if err != nil {
						mu.Lock()
						failures = append(failures, err)
						mu.Unlock()
						return
					}
					next := *cur
					next.Version++
					next.Chapter = w*1000 + a
					next.UpdatedAt = cur.UpdatedAt.Add(time.Microsecond)
					err = put(t.Context(), fx.s.Progress, &next)
					mu.Lock()
					switch {
					case err == nil:
						successes = append(successes, success{next.Version, next.Chapter})
					case !errors.Is(err, mangahub.ErrVersionMismatch):
						failures = append(failures, err)
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range failures {
			t.Errorf("unexpected error: %v", err)
		}
		if len(successes) == 0 {
			t.Fatal("no write succeeded")
		}
		byVersion := make(map[int64]int)
		var last success
		for _, s := range successes {
			if c, dup := byVersion[s.version]; dup {
				t.Errorf("version %d written twice (chapters %d and %d): a lost update", s.version, c, s.chapter)
			}
			byVersion[s.version] = s.chapter
			if s.version > last.version {
				last = s
			}
		}
		final := fx.mustFind(t, fx.user.ID, fx.mangas[0].ID)
		if final.Version != int64(len(successes))+1 {
			t.Errorf("final version %d after %d successful writes from version 1", final.Version, len(successes))
		}
		for v := int64(2); v <= final.Version; v++ {
			if _, ok := byVersion[v]; !ok {
				t.Errorf("no successful write owns version %d", v)
			}
		}
		if final.Version != last.version || final.Chapter != last.chapter {
			t.Errorf("final record at version %d chapter %d, want the last write's %d, %d",
				final.Version, final.Chapter, last.version, last.chapter)
		}
		t.Logf("%d of %d writes succeeded", len(successes), writers*attempts)
	})
}
