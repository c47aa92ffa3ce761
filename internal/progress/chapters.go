package progress

import (
	"context"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// Every update needs the manga's chapter count, and reading the manga (with
// its genres) cost as much as the rest of an update together. Counts change
// rarely, so they are kept for chapterTTL: an admin's new count takes effect
// within that time. A manga deleted meanwhile is still caught, by the store's
// foreign key (manga_not_found), or parked at the write-behind flush. While
// the catalog cannot be read, an expired count is used.
const (
	chapterTTL       = 10 * time.Second
	maxCachedChapter = 100_000 // entries; the cache starts over beyond that
)

type chapterEntry struct {
	total   *int
	expires time.Time
}

// chapterCache remembers the chapter count of manga that exist.
type chapterCache struct {
	manga MangaFinder
	now   func() time.Time

	// Read by every update, written once per manga per chapterTTL: readers
	// share the lock rather than queue for it.
	mu      sync.RWMutex
	entries map[int64]chapterEntry
}

// totalChapters returns the manga's chapter count (nil when unknown), or
// CodeMangaNotFound.
func (c *chapterCache) totalChapters(ctx context.Context, mangaID int64) (*int, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[mangaID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.total, nil
	}
	m, err := c.manga.FindMangaByID(ctx, mangaID)
	switch {
	case mangahub.IsCode(err, mangahub.CodeNotFound):
		c.mu.Lock()
		delete(c.entries, mangaID)
		c.mu.Unlock()
		return nil, mangahub.Errorf(mangahub.CodeMangaNotFound, "manga %d does not exist", mangaID)
	case ok && mangahub.IsCode(err, mangahub.CodeUnavailable) && ctx.Err() == nil:
		// The catalog cannot be read (the database is down): a count known
		// a moment ago is better than refusing the update, which the hot
		// store can still take.
		return e.total, nil
	case err != nil:
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedChapter {
		c.entries = make(map[int64]chapterEntry)
	}
	c.entries[mangaID] = chapterEntry{total: m.TotalChapters, expires: now.Add(chapterTTL)}
	c.mu.Unlock()
	return m.TotalChapters, nil
}
