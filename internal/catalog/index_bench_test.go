package catalog

import (
	"fmt"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/storetest"
)

// generated is n generated manga as a store would return them: with IDs and
// distinct update times.
func generated(n int) []*mangahub.Manga {
	ms := storetest.GenerateManga(n)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, m := range ms {
		m.ID, m.CreatedAt, m.UpdatedAt = int64(i+1), at, at.Add(time.Duration(i)*time.Millisecond)
	}
	return ms
}

// BenchmarkIndexSearch is the index answering one page of the shapes the
// web page sends: two words by relevance, one common word (about a tenth of
// the catalog) by relevance, and a genre by title.
func BenchmarkIndexSearch(b *testing.B) {
	for _, n := range []int{200, 20_000} {
		ix := newSearchIndex(generated(n), 0, time.Now())
		for _, f := range []mangahub.MangaFilter{
			{Terms: []string{"dragon", "night"}, Sort: mangahub.SortRelevance, Limit: 20},
			{Terms: []string{"star"}, Sort: mangahub.SortRelevance, Limit: 20},
			{Genres: []string{"horror"}, Sort: mangahub.SortTitle, Limit: 20},
		} {
			_, total := ix.find(f)
			b.Run(fmt.Sprintf("manga=%d/%v%v/matches=%d", n, f.Terms, f.Genres, total), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ix.find(f)
				}
			})
		}
	}
}

// BenchmarkIndexBuild is the cost of indexing a catalog read from a store
// (paid once per TTL half, or after a write, by one search).
func BenchmarkIndexBuild(b *testing.B) {
	for _, n := range []int{200, 20_000} {
		ms := generated(n)
		b.Run(fmt.Sprintf("manga=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newSearchIndex(ms, 0, time.Now())
			}
		})
	}
}
