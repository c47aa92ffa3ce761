package catalog

import (
	"bytes"
	_ "embed"

	"github.com/mangahub/mangahub"
)

//go:embed sample/manga.json
var sampleJSON []byte

// Sample returns a fresh copy of the sample catalog built into the binary.
func Sample() ([]*mangahub.Manga, error) {
	return ParseCatalog(bytes.NewReader(sampleJSON))
}
