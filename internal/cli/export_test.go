package cli

import (
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// CommandPaths lists every command of the tree, as the words that run it
// ("progress set"), the root as "".
func CommandPaths() []string {
	a := &app{env: Env{Getenv: func(string) string { return "" }}}
	root := a.rootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var paths []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths = append(paths, strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "mangahub"), " "))
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return paths
}

// WriteVersion is what `mangahub version` prints for the build information bi.
func WriteVersion(w io.Writer, override string, bi *debug.BuildInfo) { writeVersion(w, override, bi) }
