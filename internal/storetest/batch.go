package storetest

import (
	"testing"

	"github.com/mangahub/mangahub"
)

// testProgressBatch checks the durable side of write-behind: batches in any
// order, replayed any number of times, leave the newest state of every
// record, and a record whose manga or user is gone never fails the rest.
func testProgressBatch(t *testing.T, open func(*testing.T) Stores) {
	batch := func(t *testing.T, s Stores, ps ...*mangahub.Progress) []*mangahub.Progress {
		t.Helper()
		rejected, err := s.Progress.(mangahub.ProgressBatchWriter).PutProgressBatch(t.Context(), ps)
		if err != nil {
			t.Fatalf("PutProgressBatch: %v", err)
		}
		return rejected
	}
	tombstone := func(p *mangahub.Progress) *mangahub.Progress {
		q := *p
		q.Deleted = true
		return &q
	}

	t.Run("NewerWins", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		v1, v2, v3 := fx.progress(0, 1, 1), fx.progress(0, 2, 2), fx.progress(0, 3, 3)
		other := fx.progress(1, 9, 4)
		if r := batch(t, fx.s, v2, other); len(r) != 0 {
			t.Fatalf("rejected %v", r)
		}
		equal(t, "after v2", *fx.mustFind(t, fx.user.ID, v2.MangaID), *v2)
		batch(t, fx.s, v1) // a late replay
		equal(t, "after replaying v1", *fx.mustFind(t, fx.user.ID, v2.MangaID), *v2)
		batch(t, fx.s, v3, v1, v2) // several states of one record in one batch
		equal(t, "after v3 among older ones", *fx.mustFind(t, fx.user.ID, v3.MangaID), *v3)
		batch(t, fx.s, v3, v3) // the same batch twice, a duplicate inside
		equal(t, "after replaying v3", *fx.mustFind(t, fx.user.ID, v3.MangaID), *v3)
		equal(t, "the other record", *fx.mustFind(t, fx.user.ID, other.MangaID), *other)
	})

	t.Run("Tombstones", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		v2 := fx.progress(0, 2, 2)
		batch(t, fx.s, v2)
		batch(t, fx.s, tombstone(v2))
		equal(t, "a delete beats a put of its own version", *fx.mustFind(t, fx.user.ID, v2.MangaID), *tombstone(v2))
		batch(t, fx.s, v2)
		equal(t, "a replayed put does not undo the delete", *fx.mustFind(t, fx.user.ID, v2.MangaID), *tombstone(v2))
		v3 := fx.progress(0, 5, 3)
		batch(t, fx.s, v3)
		equal(t, "a re-create beats the tombstone", *fx.mustFind(t, fx.user.ID, v3.MangaID), *v3)
		page, _, err := fx.s.Progress.FindProgresses(t.Context(), mangahub.ProgressFilter{UserID: fx.user.ID})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "library", page, []*mangahub.Progress{v3})
		// A tombstone of a record the durable store never saw is kept too:
		// a later replay of an older put must not bring the record back.
		gone := fx.progress(2, 4, 6)
		batch(t, fx.s, tombstone(gone))
		batch(t, fx.s, fx.progress(2, 3, 5))
		equal(t, "a tombstone first seen in a batch", *fx.mustFind(t, fx.user.ID, gone.MangaID), *tombstone(gone))
	})

	t.Run("RejectsMissingParents", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		good := fx.progress(0, 1, 1)
		noManga := fx.progress(1, 1, 1)
		noManga.MangaID = fx.mangas[2].ID + 1000
		noUser := fx.progress(1, 2, 1)
		noUser.UserID = userN(9).ID
		rejected := batch(t, fx.s, noManga, good, noUser)
		equal(t, "stored", *fx.mustFind(t, fx.user.ID, good.MangaID), *good)
		if len(rejected) != 2 {
			t.Fatalf("rejected %d records, want the 2 with a missing parent: %v", len(rejected), show(rejected))
		}
		for _, r := range rejected {
			if r != noManga && r != noUser {
				t.Errorf("rejected %v, which has both parents", show(r))
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		if r := batch(t, fx.s); len(r) != 0 {
			t.Errorf("empty batch rejected %v", r)
		}
	})
}
