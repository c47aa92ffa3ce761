package catalog

import (
	"io"

	"github.com/mangahub/mangahub"
)

// ParseCatalogLimit is ParseCatalog with a smaller bound, so tests can probe
// the edge without reading 32 MiB.
func ParseCatalogLimit(r io.Reader, limit int64) ([]*mangahub.Manga, error) {
	return parseCatalog(r, limit)
}
