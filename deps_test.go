package mangahub_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// anything marks a package that may import every package of ours (the
// composition root, the command tree, test tooling; the load tool is a
// module of its own, tools/load, outside these rules and this module).
const anything = "*"

// dependencyRules is doc.go's map as data: for each of our packages (path
// below the module, "" for the root), which of our packages it may import
// besides the root. A package missing here fails the test, so a new package
// gets a rule from its first commit.
var dependencyRules = map[string][]string{
	"": nil,

	// use cases
	"internal/auth":     nil,
	"internal/catalog":  nil,
	"internal/progress": nil,

	// engines: never each other
	"internal/sqlite":      {"internal/migration"},
	"internal/postgres":    {"internal/migration"},
	"internal/inmem":       nil,
	"internal/redis":       nil,
	"internal/writebehind": nil,
	"internal/ratelimit":   nil,

	// shared building blocks
	"internal/migration": nil,
	"internal/protocol":  nil,
	"internal/metrics":   nil,
	"internal/config":    {"internal/auth", "internal/ratelimit"},
	"internal/hub":       {"internal/protocol", "internal/metrics"},

	// transports: never an engine
	"internal/tcpsync": {"internal/hub", "internal/protocol", "internal/metrics"},
	"internal/ws":      {"internal/hub", "internal/protocol", "internal/metrics"},
	"internal/httpapi": {"internal/auth", "internal/catalog", "internal/progress", "internal/hub", "internal/protocol", "internal/metrics"},

	// clients speak only the public contract
	"internal/client": {"internal/protocol"},
	"internal/web":    nil,

	// roots and tooling
	"internal/server":      {anything},
	"internal/cli":         {anything},
	"internal/storetest":   nil,
	"internal/testenv":     nil,
	"internal/hub/hubtest": {anything},
	"cmd/mangahub":         {anything},
}

// The dependency rules of doc.go, checked with `go list -deps` so that they
// hold by construction, not by review.
func TestDependencyRules(t *testing.T) {
	const mod = "github.com/mangahub/mangahub"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	seen := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		path, deps := fields[0], fields[1:]
		name := strings.TrimPrefix(strings.TrimPrefix(path, mod), "/")
		allowed, ok := dependencyRules[name]
		if !ok {
			t.Errorf("package %s has no dependency rule: add it to dependencyRules and to doc.go's map", path)
			continue
		}
		seen++
		if slices.Contains(allowed, anything) {
			continue
		}
		for _, dep := range deps {
			if dep == mod || !strings.HasPrefix(dep, mod+"/") {
				continue
			}
			if !slices.Contains(allowed, strings.TrimPrefix(dep, mod+"/")) {
				t.Errorf("%s imports %s, which the dependency rules forbid", path, dep)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("checked only %d packages; go list printed:\n%s", seen, out)
	}
}
