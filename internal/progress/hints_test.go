package progress_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// countingStore counts FindProgress calls; embedding the SQLite store keeps
// its CompareAndSetOnly.
type countingStore struct {
	*sqlite.ProgressStore
	finds atomic.Int64
}

func (s *countingStore) FindProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	s.finds.Add(1)
	return s.ProgressStore.FindProgress(ctx, userID, mangaID)
}

// opaqueStore hides every method but the interface's: no hints for it.
type opaqueStore struct {
	mangahub.ProgressStore
	finds *atomic.Int64
}

func (s opaqueStore) FindProgress(ctx context.Context, userID string, mangaID int64) (*mangahub.Progress, error) {
	s.finds.Add(1)
	return s.ProgressStore.FindProgress(ctx, userID, mangaID)
}

// twoInstances are two services over one SQLite file, as two processes
// sharing a data directory would be: each one's hints go stale when the
// other writes.
type twoInstances struct {
	a, b   *progress.Service
	storeA *countingStore
	user   string
	manga  int64
}

func newTwoInstances(t *testing.T) *twoInstances {
	t.Helper()
	ctx := context.Background()
	const user = "0195f0c4-0000-7000-8000-0000000000c1"
	db := openWithUser(t, user, "hinted")
	ti := &twoInstances{user: user, storeA: &countingStore{ProgressStore: sqlite.NewProgressStore(db)}}
	cat := catalog.New(sqlite.NewMangaStore(db))
	m := &mangahub.Manga{Title: "Hinted", Author: "A", Status: mangahub.MangaOngoing}
	if err := cat.CreateManga(ctx, m); err != nil {
		t.Fatal(err)
	}
	ti.manga = m.ID
	ti.a = progress.New(ti.storeA, cat, inmem.NewBus(), nil, progress.Config{})
	ti.b = progress.New(sqlite.NewProgressStore(db), cat, inmem.NewBus(), nil, progress.Config{})
	return ti
}

func (ti *twoInstances) update(t *testing.T, svc *progress.Service, upd mangahub.ProgressUpdate) (mangahub.ProgressResult, error) {
	t.Helper()
	upd.MangaID = ti.manga
	return svc.Update(context.Background(), ti.user, mangahub.Origin{Source: mangahub.SourceTCP, ConnectionID: "c"}, upd)
}

// An update of the record this service stored last does not read it.
func TestUpdateUsesTheRecordItStored(t *testing.T) {
	ti := newTwoInstances(t)
	for ch := 1; ch <= 5; ch++ {
		if res, err := ti.update(t, ti.a, mangahub.ProgressUpdate{Chapter: ch}); err != nil || !res.Applied || res.Progress.Version != int64(ch) {
			t.Fatalf("update to chapter %d: %+v, %v", ch, res, err)
		}
	}
	if n := ti.storeA.finds.Load(); n != 1 {
		t.Fatalf("5 updates read the record %d times, want 1 (the first)", n)
	}
}

// A stale hint never decides an answer: what the other instance stored
// meanwhile is what the rules see.
func TestStaleHintIsNotTheAnswer(t *testing.T) {
	ti := newTwoInstances(t)
	mustApply := func(svc *progress.Service, chapter int, version int64) {
		t.Helper()
		res, err := ti.update(t, svc, mangahub.ProgressUpdate{Chapter: chapter})
		if err != nil || !res.Applied || res.Progress.Version != version || res.Progress.Chapter != chapter {
			t.Fatalf("update to chapter %d: %+v, %v; want applied at version %d", chapter, res, err, version)
		}
	}
	mustApply(ti.a, 3, 1) // a's hint: chapter 3, version 1
	mustApply(ti.b, 10, 2)

	// Forward of the hint, backwards of the store: not applied.
	res, err := ti.update(t, ti.a, mangahub.ProgressUpdate{Chapter: 5})
	if err != nil || res.Applied || res.Reason != mangahub.ReasonBackwards || res.Progress.Version != 2 || res.Progress.Chapter != 10 {
		t.Fatalf("backwards of the stored record: %+v, %v", res, err)
	}

	// Applied from a stale hint: the compare-and-set catches it.
	mustApply(ti.b, 11, 3)
	mustApply(ti.a, 12, 4)

	// expected_version against the stored version, not the hint's.
	mustApply(ti.b, 13, 5)
	v := int64(5)
	if res, err := ti.update(t, ti.a, mangahub.ProgressUpdate{Chapter: 14, ExpectedVersion: &v}); err != nil || !res.Applied || res.Progress.Version != 6 {
		t.Fatalf("expected_version of the stored record: %+v, %v", res, err)
	}
	mustApply(ti.b, 15, 7)
	v = 6 // a's hint, no longer the stored version
	if _, err := ti.update(t, ti.a, mangahub.ProgressUpdate{Chapter: 16, ExpectedVersion: &v}); !mangahub.IsCode(err, mangahub.CodeConflict) {
		t.Fatalf("expected_version of a stale hint: %v, want conflict", err)
	}

	// Unchanged by the hint, changed in the store.
	mustApply(ti.a, 20, 8)
	mustApply(ti.b, 21, 9)
	if res, err := ti.update(t, ti.a, mangahub.ProgressUpdate{Chapter: 20}); err != nil || res.Applied || res.Reason != mangahub.ReasonBackwards || res.Progress.Version != 9 {
		t.Fatalf("same chapter as the hint, behind the store: %+v, %v", res, err)
	}

	// A delete on the other instance: a's update re-creates the record at
	// the next version, never at the hint's.
	if err := ti.b.Delete(context.Background(), ti.user, mangahub.Origin{Source: mangahub.SourceHTTP}, ti.manga); err != nil {
		t.Fatal(err)
	}
	mustApply(ti.a, 1, 10)
}

// A store that does not promise compare-and-set only writes gets no hints.
func TestNoHintsWithoutCompareAndSetOnly(t *testing.T) {
	ti := newTwoInstances(t)
	var finds atomic.Int64
	svc := progress.New(opaqueStore{ProgressStore: ti.storeA.ProgressStore, finds: &finds}, chapterless{}, inmem.NewBus(), nil, progress.Config{})
	for ch := 1; ch <= 3; ch++ {
		if res, err := ti.update(t, svc, mangahub.ProgressUpdate{Chapter: ch}); err != nil || !res.Applied {
			t.Fatalf("update: %+v, %v", res, err)
		}
	}
	if n := finds.Load(); n != 3 {
		t.Fatalf("3 updates read %d times, want 3", n)
	}
}

// chapterless is a catalog where every manga exists, with no chapter count.
type chapterless struct{}

func (chapterless) FindMangaByID(_ context.Context, id int64) (*mangahub.Manga, error) {
	return &mangahub.Manga{ID: id}, nil
}
