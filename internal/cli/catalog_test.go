package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/client"
)

// TestCatalogImportSaysWhatItDid: import goes by slug, tells what it
// created, updated and left alone, ignores fields a manga does not have
// (naming them), and warns when a lower chapter count leaves readers past
// the end.
func TestCatalogImportSaysWhatItDid(t *testing.T) {
	dataDir := t.TempDir()
	op := &user{t: t, configDir: t.TempDir(), env: map[string]string{"MANGAHUB_DATA_DIR": dataDir}}
	file := filepath.Join(t.TempDir(), "catalog.json")
	write := func(total int) {
		t.Helper()
		doc := `[{"slug":"eclair-brigade","title":"Éclair Brigade","author":"Zoë Tester","total_chapters":` + strconv.Itoa(total) + `,"chapters":12},
			{"slug":"second","title":"Second","author":"Tester"}]`
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write(40)
	r := op.run("", "catalog", "import", file)
	if r.code != 0 || !strings.Contains(r.stdout, "2 created, 0 updated, 0 unchanged") {
		t.Fatalf("first import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `warning: `+file+`: entry 0: "chapters": not a manga field, ignored`) {
		t.Errorf("no warning about the unknown field: %q", r.stderr)
	}
	if r := op.run("", "catalog", "import", file); !strings.Contains(r.stdout, "0 created, 0 updated, 2 unchanged") {
		t.Fatalf("second import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	// A reader at chapter 30 of 40; then the count drops to 25.
	ts := startServer(t, dataDir, nil)
	u := newUser(t, ts)
	u.signUp("reader")
	page := decode[client.Page[*mangahub.Manga]](t, u.must("", "manga", "search", "eclair", "--json"))
	if len(page.Items) != 1 {
		t.Fatalf("search: %+v", page)
	}
	u.must("", "progress", "set", strconv.FormatInt(page.Items[0].ID, 10), "30")

	write(25)
	r = op.run("", "catalog", "import", file)
	if r.code != 0 || !strings.Contains(r.stdout, "0 created, 1 updated, 1 unchanged") {
		t.Fatalf("third import: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: eclair-brigade now has 25 chapters; 1 reader has stored a later chapter, which is kept") {
		t.Errorf("no warning about the reader past the end: %q", r.stderr)
	}
}
