package catalog

import (
	"io"

	"github.com/mangahub/mangahub"
)

// ParseCatalogLimit is ParseCatalog with a smaller bound, so tests can probe
// the edge without reading 32 MiB.
func ParseCatalogLimit(r io.Reader, limit int64) ([]*mangahub.Manga, error) {
	ms, _, err := parseCatalog(r, limit)
	return ms, err
}
