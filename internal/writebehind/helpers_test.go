package writebehind_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/postgres"
	"github.com/mangahub/mangahub/internal/redis"
	"github.com/mangahub/mangahub/internal/sqlite"
	"github.com/mangahub/mangahub/internal/storetest"
	"github.com/mangahub/mangahub/internal/testenv"
	"github.com/mangahub/mangahub/internal/writebehind"
)

// engine is a durable store under test: its stores and its progress store
// as the hot store's backing.
type engine struct {
	name string
	open func(t *testing.T) (storetest.Stores, writebehind.Durable)
}

var engines = []engine{
	{"sqlite", openSQLite},
	{"postgres", func(t *testing.T) (storetest.Stores, writebehind.Durable) {
		return openPostgres(t, testenv.PostgresURL(t))
	}},
}

func openSQLite(t *testing.T) (storetest.Stores, writebehind.Durable) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "mangahub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := sqlite.NewProgressStore(db)
	return storetest.Stores{Users: sqlite.NewUserStore(db), Tokens: sqlite.NewRefreshTokenStore(db),
		Manga: sqlite.NewMangaStore(db), Progress: p}, p
}

func openPostgres(t *testing.T, url string) (storetest.Stores, writebehind.Durable) {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := postgres.NewProgressStore(db)
	return storetest.Stores{Users: postgres.NewUserStore(db), Tokens: postgres.NewRefreshTokenStore(db),
		Manga: postgres.NewMangaStore(db), Progress: p}, p
}

// openRedis returns a client of url with a key prefix of its own, so that
// tests never see each other's keys.
func openRedis(t *testing.T, url string) *redis.Client {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	c, err := redis.Open(url, redis.Options{Prefix: "mhtest:" + hex.EncodeToString(b) + ":", Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newStore(t *testing.T, durable writebehind.Durable, c *redis.Client, mode writebehind.Mode) *writebehind.Store {
	t.Helper()
	var flush func(context.Context) error
	if mode == writebehind.WriteBehind {
		flush = writebehind.NewFlusher(redis.NewQueue(c, time.Minute), durable, writebehind.FlusherConfig{}).FlushOnce
	}
	s := writebehind.New(durable, redis.NewCache(c), writebehind.Config{Mode: mode, Probe: c.Probe, ProbeEvery: 20 * time.Millisecond, Flush: flush})
	t.Cleanup(s.Close)
	return s
}

// fixture is a user and some manga in a durable store.
type fixture struct {
	stores storetest.Stores
	users  []*mangahub.User
	mangas []*mangahub.Manga
}

func newFixture(t *testing.T, s storetest.Stores, users, mangas int) *fixture {
	t.Helper()
	fx := &fixture{stores: s}
	for i := range users {
		u := &mangahub.User{
			ID:       fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			Username: fmt.Sprintf("user%d", i+1), Email: fmt.Sprintf("user%d@example.com", i+1),
			PasswordHash: "$2a$10$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
			Role:         mangahub.RoleUser, CreatedAt: t0,
		}
		if err := s.Users.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		fx.users = append(fx.users, u)
	}
	for i := range mangas {
		m := &mangahub.Manga{Slug: fmt.Sprintf("m-%d", i), Title: fmt.Sprintf("M %d", i), Author: "A",
			Status: mangahub.MangaOngoing, Genres: []string{}}
		if err := s.Manga.CreateManga(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		fx.mangas = append(fx.mangas, m)
	}
	return fx
}

var t0 = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

// record is user u's record of manga m at version v (chapter v).
func (fx *fixture) record(u, m int, v int64) *mangahub.Progress {
	return &mangahub.Progress{UserID: fx.users[u].ID, MangaID: fx.mangas[m].ID, Chapter: int(v),
		Status: mangahub.StatusReading, LastReadAt: t0.Add(time.Duration(v) * time.Minute),
		UpdatedAt: t0.Add(time.Duration(v) * time.Second), Version: v}
}

// mustApply applies a put (or, for a tombstone, a delete) computed from the
// record's previous version.
func mustApply(t *testing.T, s mangahub.ProgressStore, p *mangahub.Progress) {
	t.Helper()
	if _, err := s.ApplyProgress(t.Context(), mangahub.ProgressChange{Progress: p}); err != nil {
		t.Fatalf("ApplyProgress(%+v): %v", p, err)
	}
}

func mustFind(t *testing.T, s mangahub.ProgressStore, userID string, mangaID int64) *mangahub.Progress {
	t.Helper()
	p, err := s.FindProgress(t.Context(), userID, mangaID)
	if err != nil {
		t.Fatalf("FindProgress(%s, %d): %v", userID, mangaID, err)
	}
	return p
}

func equal(t *testing.T, what string, got, want *mangahub.Progress) {
	t.Helper()
	if got == nil || want == nil || *got != *want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}
