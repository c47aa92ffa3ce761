package catalog

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/mangahub/mangahub"
)

//go:embed sample/manga.json
var sampleJSON []byte

// Sample returns a fresh copy of the sample catalog built into the binary.
func Sample() ([]*mangahub.Manga, error) {
	ms, ignored, err := ParseCatalog(bytes.NewReader(sampleJSON))
	if err == nil && len(ignored) > 0 {
		return nil, fmt.Errorf("sample catalog has fields no manga has: %s", strings.Join(ignored, "; "))
	}
	return ms, err
}
