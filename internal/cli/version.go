package cli

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time (-ldflags "-X …/internal/cli.Version=v1.2.3");
// otherwise the module version from the build information is reported.
var Version = ""

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the VCS revision and how the binary was built",
		Long: `Print the module version and, when the binary was built from a VCS checkout
(go build without -buildvcs=false), the revision, its time and whether the
tree had uncommitted changes.`,
		Args: positional(),
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			writeVersion(cmd.OutOrStdout(), Version, bi)
			return nil
		}),
	}
}

// buildFacts is what the build information says about this binary.
type buildFacts struct {
	version, revision, time, modified, goVersion string
}

func readBuildFacts(override string, bi *debug.BuildInfo) buildFacts {
	f := buildFacts{version: override}
	if bi == nil {
		if f.version == "" {
			f.version = "(devel)"
		}
		return f
	}
	if f.version == "" {
		f.version = bi.Main.Version
	}
	if f.version == "" {
		f.version = "(devel)"
	}
	f.goVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			f.revision = s.Value
		case "vcs.time":
			f.time = s.Value
		case "vcs.modified":
			f.modified = s.Value
		}
	}
	return f
}

// writeVersion prints what `mangahub version` prints: the version on the
// first line ("mangahub v1.2.3"), then one "key: value" line per fact.
func writeVersion(w io.Writer, override string, bi *debug.BuildInfo) {
	f := readBuildFacts(override, bi)
	fmt.Fprintln(w, "mangahub", f.short())
	if f.revision == "" {
		fmt.Fprintln(w, "revision: unknown (built without VCS information)")
	} else {
		fmt.Fprintln(w, "revision:", f.revision)
		if f.time != "" {
			fmt.Fprintln(w, "time:    ", f.time)
		}
		if f.modified != "" {
			fmt.Fprintln(w, "modified:", f.modified)
		}
	}
	if f.goVersion != "" {
		fmt.Fprintln(w, "go:      ", f.goVersion)
	}
}

// version is the one-word version the server reports (and --version and
// the first line of `mangahub version` print): the build's version, or "devel-" and the revision's first 12
// characters, with "-modified" when the tree had uncommitted changes.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return readBuildFacts(Version, bi).short()
}

func (f buildFacts) short() string {
	if f.version != "(devel)" {
		return f.version
	}
	if len(f.revision) >= 12 {
		v := "devel-" + f.revision[:12]
		if f.modified == "true" {
			v += "-modified"
		}
		return v
	}
	return "devel"
}
