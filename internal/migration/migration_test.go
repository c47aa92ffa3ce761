package migration_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mangahub/mangahub/internal/migration"
)

func TestLoadOrdersByVersion(t *testing.T) {
	ms, err := migration.Load(fstest.MapFS{
		"0010_later.sql":  {Data: []byte("SELECT 10;")},
		"0002_second.sql": {Data: []byte("SELECT 2;")},
		"0001_init.sql":   {Data: []byte("SELECT 1;")},
		"README.md":       {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	want := "0001_init=SELECT 1;,0002_second=SELECT 2;,0010_later=SELECT 10;"
	if strings.Join(got, ",") != want {
		t.Errorf("Load = %v, want %s", got, want)
	}
	if ms[2].Version != 10 {
		t.Errorf("version of 0010_later = %d", ms[2].Version)
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no number", fstest.MapFS{"init.sql": {}}, "name must be NNNN_description.sql"},
		{"version 0", fstest.MapFS{"0000_zero.sql": {}}, "name must be NNNN_description.sql"},
		{"shared version", fstest.MapFS{"0001_a.sql": {}, "001_b.sql": {}}, "share version 1"},
		{"none", fstest.MapFS{}, "no migrations found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := migration.Load(tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRekey(t *testing.T) {
	rows := []migration.KeyRow{
		{ID: "a", Value: "Ann@x.org", Key: "ann@x.org"},           // already right
		{ID: "b", Value: "ÉMILE@x.org", Key: "Émile@x.org"},       // ASCII-only lower()
		{ID: "c", Value: "ZOË@x.org", Key: "zoË@x.org"},           // its fold is d's key
		{ID: "d", Value: "zoë@x.org", Key: "zoë@x.org"},           // holds the key
		{ID: "e", Value: "ÅSA@x.org", Key: "Åsa@x.org"},           // first to the key
		{ID: "f", Value: "åsa@X.org", Key: "åsa@X.org"},           // second: kept
		{ID: "g", Value: "Ørjan@x.org", Key: "Ørjan@x.org"},       // frees its key…
		{ID: "h", Value: "Ørjan@x.org", Key: "Ørjan@x.org-other"}, // …but takes the fold too late
	}
	changed, kept := migration.Rekey(rows, strings.ToLower)
	show := func(rs []migration.KeyRow) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID+"="+r.Key)
		}
		return strings.Join(out, " ")
	}
	if got, want := show(changed), "b=émile@x.org e=åsa@x.org g=ørjan@x.org"; got != want {
		t.Errorf("changed: %s, want %s", got, want)
	}
	if got, want := show(kept), "c=zoË@x.org f=åsa@X.org h=Ørjan@x.org-other"; got != want {
		t.Errorf("kept: %s, want %s", got, want)
	}
}
