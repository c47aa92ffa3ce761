package writebehind

import (
	"context"

	"github.com/mangahub/mangahub"
)

// MangaStore is the catalog store of a process with a hot store: deleting a
// manga removes its records from the hot store too, as the database's
// foreign key removes them there, so that no cached or queued record
// outlives its manga.
type MangaStore struct {
	mangahub.MangaStore
	hot *Store
}

// NewMangaStore wraps store.
func NewMangaStore(store mangahub.MangaStore, hot *Store) *MangaStore {
	return &MangaStore{MangaStore: store, hot: hot}
}

// DeleteManga deletes the manga, then its records in the hot store. Should
// the hot store be down, its libraries of those users are forgotten once it
// is back, like any library written around it.
func (m *MangaStore) DeleteManga(ctx context.Context, id int64) error {
	// The libraries that may hold the manga: its readers in the database
	// (DropManga finds those with a queued record itself). A tombstone
	// cached without a reader stays until its library expires; it is only
	// a version, of a manga no one can write any more.
	readers, err := m.hot.durable.FindReaders(ctx, id)
	if err != nil {
		return err
	}
	if err := m.MangaStore.DeleteManga(ctx, id); err != nil {
		return err
	}
	if !m.hot.health.isDown() {
		err := m.hot.cache.DropManga(ctx, id, readers)
		if err == nil {
			return nil
		}
		if err := m.hot.failed(ctx, err); err != nil {
			return err
		}
	}
	for _, u := range readers {
		m.hot.health.touched(ctx, u)
	}
	return nil
}
