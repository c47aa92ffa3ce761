package storetest

import (
	"testing"

	"github.com/mangahub/mangahub"
)

// testProgressBatch checks the durable side of write-behind: batches in any
// order, replayed any number of times, leave the newest state of every
// record, and a record whose manga or user is gone never fails the rest.
func testProgressBatch(t *testing.T, open func(*testing.T) Stores) {
	// batch writes records whose queued history began with the database
	// empty (base 0), as a library loaded before anything was stored.
	batch := func(t *testing.T, s Stores, ps ...*mangahub.Progress) []*mangahub.Progress {
		t.Helper()
		qs := make([]mangahub.QueuedProgress, len(ps))
		for i, p := range ps {
			qs[i] = mangahub.QueuedProgress{Progress: p}
		}
		res := batchBased(t, s, qs...)
		if len(res.Diverged) != 0 {
			t.Fatalf("diverged: %v", show(res.Diverged))
		}
		var rejected []*mangahub.Progress
		for _, q := range res.Rejected {
			rejected = append(rejected, q.Progress)
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

	t.Run("DirectWritesDiverge", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		ctx := t.Context()
		v2 := fx.progress(0, 2, 2)
		batch(t, fx.s, v2) // the flushed history: version 2
		// While the hot store is unreachable, version 3 is written
		// directly, from version 2.
		direct := fx.progress(0, 30, 3)
		if _, err := fx.s.Progress.ApplyProgress(ctx, mangahub.ProgressChange{Progress: direct, Direct: true}); err != nil {
			t.Fatalf("direct write: %v", err)
		}
		// The queued history went on from version 2 too: its version 4
		// must not overwrite the direct write, nor its version 3 be
		// skipped as old.
		for _, v := range []int64{3, 4} {
			q := mangahub.QueuedProgress{Progress: fx.progress(0, 40+int(v), v), Base: 2}
			res := batchBased(t, fx.s, q)
			if len(res.Diverged) != 1 || res.Diverged[0].Queued.Progress != q.Progress || len(res.Rejected) != 0 {
				t.Fatalf("queued version %d over a direct write: result %v, want it diverged", v, show(res))
			}
			equal(t, "the stored state it diverged from", *res.Diverged[0].Stored, *direct)
			equal(t, "record after the diverged write", *fx.mustFind(t, fx.user.ID, direct.MangaID), *direct)
		}
		// A queued history that began at or after the direct write
		// (loaded from it) is no divergence, and clears the mark.
		v4 := fx.progress(0, 4, 4)
		if res := batchBased(t, fx.s, mangahub.QueuedProgress{Progress: v4, Base: 3}); len(res.Diverged)+len(res.Rejected) != 0 {
			t.Fatalf("a history based on the direct write: %v", show(res))
		}
		equal(t, "record after a write based on the direct one", *fx.mustFind(t, fx.user.ID, v4.MangaID), *v4)
		v5 := fx.progress(0, 5, 5)
		if res := batchBased(t, fx.s, mangahub.QueuedProgress{Progress: v5, Base: 2}); len(res.Diverged)+len(res.Rejected) != 0 {
			t.Fatalf("once flushed over, the record is no direct write any more: %v", show(res))
		}
		equal(t, "record after the mark was cleared", *fx.mustFind(t, fx.user.ID, v5.MangaID), *v5)
		// Plain writes are never direct.
		other := fx.progress(1, 1, 1)
		fx.mustPut(t, other)
		if res := batchBased(t, fx.s, mangahub.QueuedProgress{Progress: fx.progress(1, 2, 2), Base: 0}); len(res.Diverged) != 0 {
			t.Fatalf("a plain write diverged: %v", show(res))
		}
	})

	t.Run("Empty", func(t *testing.T) {
		fx := newProgressFixture(t, open)
		if r := batch(t, fx.s); len(r) != 0 {
			t.Errorf("empty batch rejected %v", r)
		}
	})
}

func batchBased(t *testing.T, s Stores, qs ...mangahub.QueuedProgress) mangahub.BatchResult {
	t.Helper()
	res, err := s.Progress.(mangahub.ProgressBatchWriter).PutProgressBatch(t.Context(), qs)
	if err != nil {
		t.Fatalf("PutProgressBatch: %v", err)
	}
	return res
}
