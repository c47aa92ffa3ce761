package loadtest

import (
	"context"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/storetest"
)

// SeedCatalog imports n generated manga (storetest.GenerateManga, the same
// ones on every call) through the catalog service, as `mangahub catalog
// import` would. It returns how many were written and the catalog's size
// afterwards. Importing again upserts the same entries.
func SeedCatalog(ctx context.Context, store mangahub.MangaStore, n int) (written, total int, err error) {
	svc := catalog.New(store)
	if written, err = svc.Import(ctx, storetest.GenerateManga(n)); err != nil {
		return written, 0, err
	}
	_, total, err = svc.Search(ctx, catalog.Query{Limit: 1})
	return written, total, err
}
