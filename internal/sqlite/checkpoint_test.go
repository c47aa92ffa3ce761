package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/testenv"
)

// The write connection never checkpoints (wal_autocheckpoint is 0, see
// TestPragmas), so writes reach the database file only through the
// background checkpointer: the file grows by itself after the writes.
func TestCheckpointsRunInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mangahub.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
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
