// Package storetest is the one conformance suite of the durable stores of
// package mangahub. It is written once and run against every engine (sqlite,
// postgres): it is how the embedded default and the production database are
// kept the same. It asserts exact values, times included, so an engine must
// give back what it stored: UTC, truncated to microseconds.
package storetest

import (
	"testing"

	"github.com/mangahub/mangahub"
)

// Stores are the four stores of one engine over one database.
type Stores struct {
	Users    mangahub.UserStore
	Tokens   mangahub.RefreshTokenStore
	Manga    mangahub.MangaStore
	Progress mangahub.ProgressStore
}

// Run runs the suite. open must return stores over a fresh, migrated, empty
// database on every call, and close it with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefreshTokens(t, open) })
	t.Run("Manga", func(t *testing.T) { testManga(t, open) })
	t.Run("Genres", func(t *testing.T) { testGenres(t, open) })
	t.Run("Search", func(t *testing.T) { testSearch(t, open) })
	t.Run("Progress", func(t *testing.T) { testProgress(t, open) })
	if _, ok := open(t).Progress.(mangahub.ProgressBatchWriter); ok {
		t.Run("ProgressBatch", func(t *testing.T) { testProgressBatch(t, open) })
	}
	t.Run("Unavailable", func(t *testing.T) { testUnavailable(t, open) })
}

// RunSearch runs the search part of the suite alone, for what answers
// FindManga outside a store and must answer exactly as the stores do (the
// catalog's in-memory search index).
func RunSearch(t *testing.T, open func(t *testing.T) Stores) { testSearch(t, open) }
