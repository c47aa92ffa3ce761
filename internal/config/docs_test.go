package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mangahub/mangahub/internal/config"
)

// The configuration reference must name every variable the code reads.
func TestReferenceDocumentsEveryVariable(t *testing.T) {
	for _, doc := range []string{"../../docs/configuration.md", "../../README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range config.Variables() {
			if !strings.Contains(string(b), v) {
				t.Errorf("%s does not document %s", doc, v)
			}
		}
	}
}
