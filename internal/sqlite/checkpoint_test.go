package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
)

// The write connection never checkpoints (wal_autocheckpoint is 0, see
// TestPragmas), so writes reach the database file only through the
// background checkpointer: the file grows by itself after the writes.
func TestCheckpointsRunInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mangahub.db")
	db := openAt(t, path)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the migrations' own pages settle first.
	before := size()
	testenv.Eventually(t, 5*time.Second, "the migrations are checkpointed", func() bool {
		s := size()
		settled := s == before
		before = s
		return settled && s > 0
	})

	s := stores(db)
	for i := range 200 {
		m := &mangahub.Manga{Slug: fmt.Sprintf("ckpt-%d", i), Title: fmt.Sprintf("Checkpointed %d", i), Author: "A",
			Status: mangahub.MangaOngoing, Description: fmt.Sprintf("%0500d", i)}
		if err := s.Manga.CreateManga(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 5*time.Second, "the writes reach the database file", func() bool { return size() > before })
}

// Under writes that never pause, the WAL still starts over: the committer
// completes a checkpoint between two batches once the WAL is long, so the
// file stays near that length however much is written.
func TestWALStartsOverUnderSteadyWrites(t *testing.T) {
	const frames = 256 // 1 MiB of 4 KiB pages
	sqlite.SetCheckpoints(t, time.Millisecond, frames)
	path := filepath.Join(t.TempDir(), "mangahub.db")
	db := openAt(t, path)
	ctx := t.Context()
	s := stores(db)
	u := &mangahub.User{ID: "0195f0c4-0000-7000-8000-0000000000ad", Username: "steady", Email: "s@example.com", PasswordHash: "x", Role: mangahub.RoleUser, CreatedAt: time.Now()}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 600
	var ids [writers]int64
	for i := range ids {
		m := &mangahub.Manga{Slug: fmt.Sprintf("steady-%d", i), Title: fmt.Sprintf("Steady %d", i), Author: "A", Status: mangahub.MangaOngoing}
		if err := s.Manga.CreateManga(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// Each write adds at least one 4 KiB frame: without restarts the WAL
	// would end up longer than writers×each×4 KiB (about 19 MiB).
	var wg sync.WaitGroup
	var largest int64
	var mu sync.Mutex
	for w := range writers {
		wg.Go(func() {
			for v := 1; v <= each; v++ {
				now := time.Now().UTC().Truncate(time.Microsecond)
				if err := storetest.Put(ctx, s.Progress, &mangahub.Progress{UserID: u.ID, MangaID: ids[w], Chapter: v, Status: mangahub.StatusReading, LastReadAt: now, UpdatedAt: now, Version: int64(v)}); err != nil {
					t.Errorf("write %d of writer %d: %v", v, w, err)
					return
				}
				if v%50 == 0 {
					mu.Lock()
					largest = max(largest, walSize())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if limit := int64(8 << 20); largest > limit {
		t.Fatalf("the WAL grew to %d bytes under steady writes; want at most %d (it restarts past %d frames)", largest, limit, frames)
	}
}
