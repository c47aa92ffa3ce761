package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The trigram index (manga_search, migration 0009) has a fixed cost per
// search, about 0.1–0.2 ms on this engine whatever the catalog's size,
// while checking every row costs about 0.3 µs a manga: below a thousand
// manga reading them all is the cheaper way, above it the index is (at
// 20,000 manga a search reads ~100 rows instead of 20,000).
const (
	defaultIndexFrom = 1000
	// sizeRecheck is how often the catalog's size is looked at again: it
	// only chooses a plan, never the results, so a stale answer is harmless.
	sizeRecheck = 10 * time.Second
)

// catalogSize tells searches whether the catalog is large enough for the
// trigram index.
type catalogSize struct {
	// from is the number of manga from which the index is used.
	from    int
	large   atomic.Bool
	checked atomic.Int64 // when, in Unix nanoseconds; 0: never
}

// useIndex reports whether a search should narrow its rows with the index.
// One search every sizeRecheck counts (up to from rows) for the others.
func (c *catalogSize) useIndex(ctx context.Context, pool *sql.DB) bool {
	if c.from <= 0 {
		return true
	}
	now := time.Now().UnixNano()
	last := c.checked.Load()
	if last != 0 && now-last < int64(sizeRecheck) || !c.checked.CompareAndSwap(last, now) {
		return c.large.Load()
	}
	var large bool
	err := pool.QueryRowContext(ctx, `SELECT count(*) >= ?1 FROM (SELECT 1 FROM manga LIMIT ?1)`, c.from).Scan(&large)
	if err != nil {
		c.checked.Store(last) // the next search asks again
		return c.large.Load()
	}
	c.large.Store(large)
	return large
}

// searchMatch is the FTS5 query that finds the rows holding every term of
// at least three characters, each as a quoted string (a phrase of
// trigrams: the term as a substring), "" when there is none: the trigram
// index cannot look up shorter ones. Terms hold only letters, digits and
// spaces (mangahub.FoldSearch), so quoting them cannot be escaped from.
func searchMatch(terms []string) string {
	var b strings.Builder
	for _, t := range terms {
		if utf8.RuneCountInString(t) < 3 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(t)
		b.WriteByte('"')
	}
	return b.String()
}
