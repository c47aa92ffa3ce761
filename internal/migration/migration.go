// Package migration reads the numbered SQL files that each engine (sqlite,
// postgres) embeds. How a file is applied differs per engine (locks,
// transactions); how files are named and ordered is one rule, kept here.
// It imports the standard library only, so engines may use it without
// depending on each other.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change: NNNN_description.sql. Version N means the
// same change in every engine.
type Migration struct {
	Version int
	// Name is the file name without ".sql", for messages.
	Name string
	SQL  string
}

// Load reads the *.sql files at the top of fsys, in version order. A name
// that is not NNNN_description.sql, or two files with one version, is an
// error: either would make the order of changes ambiguous.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := make(map[int]string)
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, base, v)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations found")
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	return ms, nil
}

// KeyRow is a row whose stored key a migration recomputes in Go: Key was
// derived from Value by an older rule.
type KeyRow struct {
	ID, Value, Key string
}

// Rekey returns the rows, in the order given, whose key under fold differs
// from the stored one, with Key set to the new key. A row whose new key
// another row holds, or took earlier in the order, keeps its old key and is
// returned in kept instead: a unique key must not make a migration fail, and
// the older account keeps the name.
func Rekey(rows []KeyRow, fold func(string) string) (changed, kept []KeyRow) {
	holder := make(map[string]string, len(rows)) // key → ID
	for _, r := range rows {
		holder[r.Key] = r.ID
	}
	for _, r := range rows {
		key := fold(r.Value)
		if key == r.Key {
			continue
		}
		if id, taken := holder[key]; taken && id != r.ID {
			kept = append(kept, r)
			continue
		}
		delete(holder, r.Key)
		holder[key] = r.ID
		changed = append(changed, KeyRow{ID: r.ID, Value: r.Value, Key: key})
	}
	return changed, kept
}
