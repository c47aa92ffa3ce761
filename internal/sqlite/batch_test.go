package sqlite_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
)

// Writes that queue behind a busy writer are committed together, and each
// keeps its own result: a write for a missing manga fails alone.
func TestGroupCommitKeepsResultsApart(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	s := stores(db)
	u := &mangahub.User{ID: "0195f0c4-0000-7000-8000-0000000000aa", Username: "grouped", Email: "g@example.com", PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now()}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const n = 20
	ids := make([]int64, n)
	for i := range ids {
		m := &mangahub.Manga{Slug: fmt.Sprintf("m-%d", i), Title: fmt.Sprintf("M %d", i), Author: "A", Status: mangahub.MangaOngoing}
		if err := s.Manga.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	ids[7] = 999_999 // no such manga

	release, held := sqlite.HoldWriteLock(t, db)
	<-held
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now().UTC().Truncate(time.Microsecond)
			errs[i] = storetest.Put(ctx, s.Progress, &mangahub.Progress{UserID: u.ID, MangaID: id, Chapter: i, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 1})
		}()
	}
	close(release)
	wg.Wait()

	for i, err := range errs {
		if i == 7 {
			if mangahub.ErrorCodeOf(err) != mangahub.CodeMangaNotFound {
				t.Errorf("write for a missing manga: %v, want manga_not_found", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	_, total, err := s.Progress.FindProgresses(ctx, mangahub.ProgressFilter{UserID: u.ID})
	if err != nil || total != n-1 {
		t.Fatalf("stored %d records (%v), want %d", total, err, n-1)
	}
}

// A batch is answered as soon as it is committed, before the next one: one
// writer's ack never waits for the backlog that queued behind it. Here the
// second batch's commit is held until the first writer has returned; a
// first writer that committed the backlog itself would never return.
func TestGroupCommitAnswersABatchBeforeTheNext(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	s := stores(db)
	u := &mangahub.User{ID: "0195f0c4-0000-7000-8000-0000000000ab", Username: "leader", Email: "l@example.com", PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now()}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var ids [2]int64
	for i := range ids {
		m := &mangahub.Manga{Slug: fmt.Sprintf("lead-%d", i), Title: fmt.Sprintf("Lead %d", i), Author: "A", Status: mangahub.MangaOngoing}
		if err := s.Manga.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	var commits atomic.Int32
	unblock := make(chan struct{})
	sqlite.BeforeCommit(db, func() {
		if commits.Add(1) == 2 {
			<-unblock
		}
	})
	put := func(manga int64) chan error {
		done := make(chan error, 1)
		go func() {
			now := time.Now().UTC().Truncate(time.Microsecond)
			done <- storetest.Put(ctx, s.Progress, &mangahub.Progress{UserID: u.ID, MangaID: manga, Chapter: 1, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 1})
		}()
		return done
	}

	release, held := sqlite.HoldWriteLock(t, db)
	<-held
	first := put(ids[0])
	testenv.Eventually(t, 5*time.Second, "the first write is being committed", func() bool { return commits.Load() == 1 })
	second := put(ids[1])
	testenv.Eventually(t, 5*time.Second, "the second write queues", func() bool { return sqlite.QueuedPuts(db) == 1 })
	close(release)

	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("first write: %v", err)
		}
	case <-time.After(10 * time.Second):
		close(unblock)
		t.Fatal("the first writer did not return while the next batch was committing")
	}
	close(unblock)
	if err := <-second; err != nil {
		t.Fatalf("second write: %v", err)
	}
	if n := commits.Load(); n != 2 {
		t.Fatalf("%d commits, want 2", n)
	}
}

// A write after Close fails as unavailable instead of waiting for a
// committer that is gone.
func TestProgressWriteAfterClose(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	s := stores(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	done := make(chan error, 1)
	go func() {
		done <- storetest.Put(ctx, s.Progress, &mangahub.Progress{UserID: "0195f0c4-0000-7000-8000-0000000000ac", MangaID: 1, Chapter: 1, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: 1})
	}()
	select {
	case err := <-done:
		if mangahub.ErrorCodeOf(err) != mangahub.CodeUnavailable {
			t.Fatalf("write after Close: %v, want unavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after Close did not return")
	}
}
