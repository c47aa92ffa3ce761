package mangahub_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mangahub/mangahub/internal/config"
)

// compose.yaml cannot be started here (no Docker engine); this checks what
// a `docker compose config` would, and what the deployment guide promises
// of it: the services and their dependencies, Redis settings that keep
// write-behind changes safe, and only configuration variables that exist.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       string            `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	known := config.Variables()
	instances := 0
	for name, s := range f.Services {
		if s.Image == "" && s.Build == "" {
			t.Errorf("service %s has neither image nor build", name)
		}
		if !strings.HasPrefix(name, "mangahub") {
			if len(s.Healthcheck.Test) == 0 {
				t.Errorf("service %s has no healthcheck for the instances to wait on", name)
			}
			continue
		}
		instances++
		if s.Build != "." {
			t.Errorf("service %s: build %q, want the repository's Dockerfile", name, s.Build)
		}
		for _, dep := range []string{"postgres", "redis"} {
			if s.DependsOn[dep].Condition != "service_healthy" {
				t.Errorf("service %s does not wait for a healthy %s", name, dep)
			}
		}
		for v := range s.Environment {
			if !slices.Contains(known, v) {
				t.Errorf("service %s sets %s, which is no configuration variable", name, v)
			}
		}
		if !strings.HasPrefix(s.Environment["MANGAHUB_JWT_SECRET"], "${MANGAHUB_JWT_SECRET:?") {
			t.Errorf("service %s: the JWT secret must come from the environment, required", name)
		}
		if len(s.Ports) != 2 {
			t.Errorf("service %s publishes %v, want its HTTP and TCP ports", name, s.Ports)
		}
	}
	if instances < 2 {
		t.Errorf("%d MangaHub instances, want a cluster of at least 2", instances)
	}
	cmd := strings.Join(f.Services["redis"].Command, " ")
	if !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("redis runs %q: without an append-only file a restart loses queued changes", cmd)
	}
	if !strings.Contains(cmd, "--maxmemory-policy volatile-") && !strings.Contains(cmd, "--maxmemory-policy noeviction") {
		t.Errorf("redis runs %q: its eviction policy may evict queued changes", cmd)
	}
	for _, v := range []string{"postgres", "redis"} {
		if _, ok := f.Volumes[v]; !ok {
			t.Errorf("no volume %s: its data would not outlive the container", v)
		}
	}
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/mangahub", `ENTRYPOINT ["/mangahub"]`, `CMD ["serve"]`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
