package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/storetest"
)

// open returns a migrated database in a fresh file, closed at cleanup.
func open(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "mangahub.db"))
}

// openAt is open with the file at path.
func openAt(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

func stores(db *sqlite.DB) storetest.Stores {
	return storetest.Stores{
		Users:    sqlite.NewUserStore(db),
		Tokens:   sqlite.NewRefreshTokenStore(db),
		Manga:    sqlite.NewMangaStore(db),
		Progress: sqlite.NewProgressStore(db),
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores { return stores(open(t)) })
}

// TestConformanceSearchIndex runs the suite with searches narrowed by the
// trigram index however small the catalog, so that both plans give the
// suite's results.
func TestConformanceSearchIndex(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := open(t)
		sqlite.SearchIndexFrom(db, 0)
		return stores(db)
	})
}

// TestSearchIndex checks that the index follows every write (the triggers of
// migration 0009) and that a large catalog's search consults it: a manga
// taken out of the index behind the store's back is no longer found there,
// while a small catalog's search, which reads every row, still finds it.
func TestSearchIndex(t *testing.T) {
	ctx := t.Context()
	db := open(t)
	s := stores(db)
	find := func(q string) []int64 {
		t.Helper()
		page, total, err := s.Manga.FindManga(ctx, mangahub.MangaFilter{
			Terms: mangahub.SearchTerms(q, 10), Sort: mangahub.SortRelevance, Limit: 10})
		if err != nil {
			t.Fatalf("FindManga(%q): %v", q, err)
		}
		ids := []int64{}
		for _, m := range page {
			ids = append(ids, m.ID)
		}
		if total != len(ids) {
			t.Fatalf("FindManga(%q): total %d, %d rows", q, total, len(ids))
		}
		return ids
	}
	sqlite.SearchIndexFrom(db, 0)
	m := &mangahub.Manga{Slug: "m", Title: "Frieren", AltTitles: []string{"Sousou no Frieren"}, Author: "Kanehito Yamada", Status: mangahub.MangaOngoing}
	if err := s.Manga.CreateManga(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := find("frier yamada"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after create: %v, want [%d]", got, m.ID)
	}
	title := "Beyond Journey's End"
	if _, err := s.Manga.UpdateManga(ctx, m.ID, mangahub.MangaUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := find("journey"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after update, the new title: %v, want [%d]", got, m.ID)
	}
	if got := find("frieren"); !slices.Equal(got, []int64{m.ID}) {
		t.Fatalf("after update, the alternative title: %v, want [%d]", got, m.ID)
	}
	if got := find("beyond frieren"); len(got) != 1 {
		t.Fatalf("after update, both: %v", got)
	}
	other := &mangahub.Manga{Slug: "o", Title: "Frieren Spin-off", Author: "X", Status: mangahub.MangaOngoing}
	if err := s.Manga.CreateManga(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.Manga.DeleteManga(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if got := find("frieren"); !slices.Equal(got, []int64{other.ID}) {
		t.Fatalf("after delete: %v, want [%d]", got, other.ID)
	}

	// Out of the index, out of an indexed search; a scan still finds it.
	var text string
	if err := sqlite.QueryStrings(ctx, db, `SELECT search_text FROM manga WHERE id = ?`, []any{other.ID}, &text); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Exec(ctx, db, `INSERT INTO manga_search (manga_search, rowid, search_text) VALUES ('delete', ?, ?)`, other.ID, text); err != nil {
		t.Fatal(err)
	}
	if got := find("frieren"); len(got) != 0 {
		t.Errorf("indexed search of a manga missing from the index: %v, want none", got)
	}
	if got := find("fr"); !slices.Equal(got, []int64{other.ID}) {
		t.Errorf("indexed search of a two-letter term (checked on every row): %v, want [%d]", got, other.ID)
	}
	sqlite.SearchIndexFrom(db, 1000)
	if got := find("frieren"); !slices.Equal(got, []int64{other.ID}) {
		t.Errorf("small catalog's search: %v, want [%d]", got, other.ID)
	}
	// The catalog (one manga) counts as large from one manga on.
	sqlite.SearchIndexFrom(db, 1)
	if got := find("frieren"); len(got) != 0 {
		t.Errorf("large catalog's search, of a manga missing from the index: %v, want none", got)
	}
}

// TestSearchIndexMigration upgrades manga an older binary wrote: migration
// 0009 indexes them.
func TestSearchIndexMigration(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlite.MigrateTo(ctx, db, 8); err != nil {
		t.Fatalf("MigrateTo(8): %v", err)
	}
	k := mangahub.MangaSearchKeys("Kaiju No. 8", nil, "Naoya Matsumoto")
	err = sqlite.Exec(ctx, db, `INSERT INTO manga (slug, title, author, status, search_text, names_key, title_key,
		author_key, created_at, updated_at) VALUES ('kaiju-no-8', 'Kaiju No. 8', 'Naoya Matsumoto', 'ongoing', ?, ?, ?, ?, 0, 0)`,
		k.Text, k.Names, k.Title, k.Author)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	sqlite.SearchIndexFrom(db, 0)
	page, total, err := sqlite.NewMangaStore(db).FindManga(ctx, mangahub.MangaFilter{
		Terms: []string{"kaiju", "matsu"}, Sort: mangahub.SortRelevance, Limit: 10})
	if err != nil || total != 1 || len(page) != 1 || page[0].Slug != "kaiju-no-8" {
		t.Fatalf("search after migration: %d of %d, %v; want kaiju-no-8", len(page), total, err)
	}
}

func TestMemory(t *testing.T) {
	db, err := sqlite.Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s := stores(db)
	m := &mangahub.Manga{Slug: "a", Title: "A", Author: "B", Status: mangahub.MangaOngoing}
	if err := s.Manga.CreateManga(t.Context(), m); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
	// Reads must see the writes: one connection serves both.
	if _, err := s.Manga.FindMangaByID(t.Context(), m.ID); err != nil {
		t.Fatalf("FindMangaByID: %v", err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	for i := range 3 {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d again: %v", i+1, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// TestMigrateConcurrently opens one file from several handles, as several
// processes would, and migrates from all at once.
func TestMigrateConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	const n = 4
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db.Close()
		wg.Go(func() { errs[i] = db.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
}

func TestOpenInvalidPath(t *testing.T) {
	for _, path := range []string{"", "a?b", filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) = nil error", path)
		}
	}
}

func TestPingAndClosed(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.Ping(ctx); !mangahub.IsCode(err, mangahub.CodeUnavailable) {
		t.Errorf("Ping(cancelled) = %v, want unavailable", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Error("Ping after Close = nil")
	}
}

// TestReadsDuringWrite checks the split pools: a search completes while a
// write transaction is held open on the single write connection.
func TestReadsDuringWrite(t *testing.T) {
	db := open(t)
	s := stores(db)
	m := &mangahub.Manga{Slug: "a", Title: "Alpha", Author: "B", Status: mangahub.MangaOngoing}
	if err := s.Manga.CreateManga(t.Context(), m); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
	release, held := sqlite.HoldWriteLock(t, db)
	<-held
	_, total, err := s.Manga.FindManga(t.Context(), mangahub.MangaFilter{Terms: []string{"alpha"}, Sort: mangahub.SortTitle, Limit: 5})
	close(release)
	if err != nil || total != 1 {
		t.Fatalf("FindManga during a write: total %d, err %v", total, err)
	}
}

func TestPragmas(t *testing.T) {
	db := open(t)
	tests := []struct{ name, write, read string }{
		{"journal_mode", "wal", "wal"},
		{"foreign_keys", "1", "1"},
		{"synchronous", "1", ""}, // NORMAL; readers never commit
		{"query_only", "0", "1"},
		{"busy_timeout", "5000", "5000"},
		{"wal_autocheckpoint", "0", ""}, // the checkpointer does it, off the write path
	}
	for _, tt := range tests {
		w, r, err := sqlite.Pragma(t.Context(), db, tt.name)
		if err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.name, err)
		}
		if w != tt.write || (tt.read != "" && r != tt.read) {
			t.Errorf("PRAGMA %s: write pool %q, read pool %q; want %q, %q", tt.name, w, r, tt.write, tt.read)
		}
	}
}

// BenchmarkSearch measures a search at the sample catalog's size and at a
// large instance's (issue 7: both must be fast).
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{200, 3000, 20_000} {
		b.Run(fmt.Sprintf("manga=%d", n), func(b *testing.B) {
			storetest.BenchSearch(b, sqlite.NewMangaStore(open(b)), n)
		})
	}
}

// TestLoginKeysMigration upgrades a database an older binary wrote: its
// login keys were lower(), which folds ASCII only here; migration 0004
// folds them in Go. Two accounts that lower() told apart but the fold does
// not keep working: the older one gets the key.
func TestLoginKeysMigration(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlite.MigrateTo(ctx, db, 3); err != nil {
		t.Fatalf("MigrateTo(3): %v", err)
	}
	for i, u := range []struct{ id, name, email string }{
		{"a", "Ann", "ÉMILE@Exämple.org"},
		{"b", "bob", "zoë@x.org"},
		{"c", "Cy", "ZOË@x.org"}, // lower(): "zoË@x.org", apart from b's
	} {
		err := sqlite.Exec(ctx, db, `INSERT INTO users (id, username, email, password_hash, role, created_at)
			VALUES (?, ?, ?, 'h', 'user', ?)`, u.id, u.name, u.email, i)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s := stores(db)
	for login, want := range map[string]string{
		"émile@exämple.org": "a", "ann": "a", "ZOË@X.ORG": "b", "cy": "c",
	} {
		u, err := s.Users.FindUserByLogin(ctx, login)
		if err != nil || u.ID != want {
			t.Errorf("FindUserByLogin(%q) = %v, %v; want user %s", login, u, err, want)
		}
	}
}

// TestAltTitlesMigration upgrades manga an older binary wrote: migration
// 0005 computes their new search keys in SQL, which must be exactly what Go
// computes for a manga without alternative titles.
func TestAltTitlesMigration(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlite.MigrateTo(ctx, db, 4); err != nil {
		t.Fatalf("MigrateTo(4): %v", err)
	}
	title, author := "Kaiju No. 8", "Naoya Matsumoto"
	err = sqlite.Exec(ctx, db, `INSERT INTO manga (slug, title, author, status, search_text, title_key,
		author_key, created_at, updated_at) VALUES ('kaiju-no-8', ?, ?, 'ongoing', ?, ?, ?, 0, 0)`,
		title, author, mangahub.FoldSearch(title+" "+author), mangahub.FoldSearch(title), mangahub.FoldSearch(author))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var names, text, alt string
	if err := sqlite.QueryStrings(ctx, db, `SELECT names_key, search_text, alt_titles FROM manga`, nil, &names, &text, &alt); err != nil {
		t.Fatal(err)
	}
	want := mangahub.MangaSearchKeys(title, nil, author)
	if names != want.Names || text != want.Text || alt != "[]" {
		t.Errorf("after migration: names_key %q, search_text %q, alt_titles %s; want %q, %q, []", names, text, alt, want.Names, want.Text)
	}
}
