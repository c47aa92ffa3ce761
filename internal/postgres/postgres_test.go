package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/postgres"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
)

// open returns a migrated pool over a fresh database, closed at cleanup
// (before the database is dropped: cleanups run last-registered first).
func open(tb testing.TB) *postgres.DB {
	tb.Helper()
	db := openURL(tb, testenv.PostgresURL(tb))
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

func openURL(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func stores(db *postgres.DB) storetest.Stores {
	return storetest.Stores{
		Users:    postgres.NewUserStore(db),
		Tokens:   postgres.NewRefreshTokenStore(db),
		Manga:    postgres.NewMangaStore(db),
		Progress: postgres.NewProgressStore(db),
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores { return stores(open(t)) })
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := open(t)
	for i := range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again #%d: %v", i+1, err)
		}
	}
}

// TestMigrateConcurrently starts several instances against one empty
// database at once, as a rolling deployment would.
func TestMigrateConcurrently(t *testing.T) {
	url := testenv.PostgresURL(t)
	const n = 4
	var (
		wg   sync.WaitGroup
		errs = make([]error, n)
	)
	for i := range n {
		db := openURL(t, url)
		wg.Go(func() { errs[i] = db.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	// The schema works.
	s := stores(openURL(t, url))
	if err := s.Manga.CreateManga(t.Context(), &mangahub.Manga{Slug: "a", Title: "A", Author: "B", Status: mangahub.MangaOngoing}); err != nil {
		t.Fatalf("CreateManga: %v", err)
	}
}

// TestKeyColumnsUseByteOrder guards the sort orders against the database's
// locale: the conformance suite may run on a "C" database, where it could not
// tell, but production databases are often en_US.UTF-8.
func TestKeyColumnsUseByteOrder(t *testing.T) {
	url := testenv.PostgresURL(t)
	if err := openURL(t, url).Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	for _, col := range [][2]string{{"manga", "search_text"}, {"manga", "title_key"}, {"manga", "author_key"}, {"genres", "name_key"}} {
		var collation *string
		err := conn.QueryRow(t.Context(), `
			SELECT collation_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
			col[0], col[1]).Scan(&collation)
		if err != nil {
			t.Fatalf("%s.%s: %v", col[0], col[1], err)
		}
		if collation == nil || *collation != "C" {
			t.Errorf("%s.%s has collation %v, want C", col[0], col[1], collation)
		}
	}
}

// TestServerDown checks that Open does not need the server and that what
// does need it reports unavailable, without a driver message to show.
func TestServerDown(t *testing.T) {
	// Port 1 on the loopback address: nothing listens there, and the
	// connection is refused at once.
	db, err := postgres.Open(t.Context(), "postgres://mangahub:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("Open with the server down: %v", err)
	}
	defer db.Close()
	ctx := t.Context()
	checks := []struct {
		name string
		err  error
	}{
		{"Ping", db.Ping(ctx)},
		{"Migrate", db.Migrate(ctx)},
	}
	_, err = postgres.NewMangaStore(db).FindMangaByID(ctx, 1)
	checks = append(checks, struct {
		name string
		err  error
	}{"FindMangaByID", err})
	for _, c := range checks {
		if !mangahub.IsCode(c.err, mangahub.CodeUnavailable) {
			t.Errorf("%s: %v, want unavailable", c.name, c.err)
		}
		if msg := mangahub.ErrorMessageOf(c.err); msg != "service temporarily unavailable" {
			t.Errorf("%s: client message %q", c.name, msg)
		}
	}
}

func TestOpenInvalidURL(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://host:notaport/db"); err == nil {
		t.Error("Open(invalid URL) = nil error")
	}
}

// BenchmarkSearch measures a search at the sample catalog's size and at a
// large instance's (issue 7: both must be fast).
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{200, 3000, 20_000} {
		b.Run(fmt.Sprintf("manga=%d", n), func(b *testing.B) {
			storetest.BenchSearch(b, postgres.NewMangaStore(open(b)), n)
		})
	}
}

// TestLoginKeysMigration upgrades a database an older binary wrote: its
// login keys were lower(), which follows the database's locale here;
// migration 0004 folds them in Go. Two accounts that lower() told apart but
// the fold does not keep working: the older one gets the key.
func TestLoginKeysMigration(t *testing.T) {
	ctx := t.Context()
	db := openURL(t, testenv.PostgresURL(t))
	if err := postgres.MigrateTo(ctx, db, 3); err != nil {
		t.Fatalf("MigrateTo(3): %v", err)
	}
	for i, u := range []struct{ id, name, email string }{
		{"a", "Ann", "ÉMILE@Exämple.org"},
		{"b", "bob", "zoë@x.org"},
		// Told apart by lower() only in a database whose locale folds
		// ASCII alone (C); with a Unicode locale it cannot be inserted.
		{"c", "Cy", "ZOË@x.org"},
	} {
		err := postgres.Exec(ctx, db, `INSERT INTO users (id, username, email, password_hash, role, created_at)
			VALUES ($1, $2, $3, 'h', 'user', now() + make_interval(secs => $4))`, u.id, u.name, u.email, i)
		if err != nil && u.id != "c" {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s := stores(db)
	for login, want := range map[string]string{
		"émile@exämple.org": "a", "ann": "a", "ZOË@X.ORG": "b",
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
	db := openURL(t, testenv.PostgresURL(t))
	if err := postgres.MigrateTo(ctx, db, 4); err != nil {
		t.Fatalf("MigrateTo(4): %v", err)
	}
	title, author := "Kaiju No. 8", "Naoya Matsumoto"
	err := postgres.Exec(ctx, db, `INSERT INTO manga (slug, title, author, status, search_text, title_key, author_key)
		VALUES ('kaiju-no-8', $1, $2, 'ongoing', $3, $4, $5)`,
		title, author, mangahub.FoldSearch(title+" "+author), mangahub.FoldSearch(title), mangahub.FoldSearch(author))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var names, text, alt string
	if err := postgres.QueryStrings(ctx, db, `SELECT names_key, search_text, alt_titles::text FROM manga`, nil, &names, &text, &alt); err != nil {
		t.Fatal(err)
	}
	want := mangahub.MangaSearchKeys(title, nil, author)
	if names != want.Names || text != want.Text || alt != "{}" {
		t.Errorf("after migration: names_key %q, search_text %q, alt_titles %s; want %q, %q, {}", names, text, alt, want.Names, want.Text)
	}
}
