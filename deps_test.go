package mangahub_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The dependency rules of doc.go, checked with `go list -deps` so that they
// hold by construction, not by review.
func TestDependencyRules(t *testing.T) {
	const mod = "github.com/mangahub/mangahub"
	engines := []string{"sqlite", "postgres", "inmem"}
	rules := []struct {
		pkgs    []string
		allowed []string // of our packages, besides the root
	}{
		{[]string{""}, nil},
		{[]string{"auth", "catalog", "progress"}, nil},
		{engines, nil},
		{[]string{"protocol"}, nil},
		{[]string{"hub"}, []string{"protocol", "metrics"}},
		{[]string{"tcpsync", "ws"}, []string{"hub", "protocol", "metrics"}},
		{[]string{"httpapi"}, []string{"auth", "catalog", "progress", "hub", "protocol", "metrics", "ratelimit"}},
	}
	for _, r := range rules {
		for _, pkg := range r.pkgs {
			path := mod
			if pkg != "" {
				path += "/internal/" + pkg
			}
			out, err := exec.Command("go", "list", "-deps", path).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", path, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				if dep == path || dep == mod || !strings.HasPrefix(dep, mod+"/") {
					continue
				}
				name := strings.TrimPrefix(dep, mod+"/internal/")
				ok := false
				for _, a := range r.allowed {
					ok = ok || name == a
				}
				if !ok {
					t.Errorf("%s imports %s, which the dependency rules forbid", path, dep)
				}
			}
		}
	}
}
