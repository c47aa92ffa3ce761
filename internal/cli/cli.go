// Package cli is MangaHub's command tree, in one binary: the operator
// commands (serve, migrate, user create, catalog import, version), which
// read their configuration through internal/config and wire what they need
// through internal/server, and the client commands (register, login,
// logout, manga, progress, sync), which speak the public contract through
// internal/client.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub"
)

// Env is what a command sees of the outside world; tests substitute it.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// ConfigDir is where the client keeps its credentials; empty means
	// os.UserConfigDir()/mangahub.
	ConfigDir string
}

// Main runs the program with the process's environment and exits.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, Env{Args: os.Args[1:], Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// errUsage marks mistakes in how a command was called (exit status 2).
var errUsage = errors.New("usage")

// usageError is a mistake in how a command was called, worded for the user.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// app is one run of the program: its environment and what the command tree
// learned while parsing.
type app struct {
	env Env
	// running is set when a command's own code starts: an error before it
	// came from parsing the command line, so it is a usage error.
	running bool
	// client marks a client command, whose errors are reported as the
	// server's detail alone (CONTRACT.md §5).
	client bool
}

// Run executes one command and returns the exit status: 0 success, 1 an
// error, 2 a usage error.
func Run(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	a := &app{env: env}
	root := a.rootCommand()
	args := env.Args
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	if !a.running || errors.Is(err, errUsage) {
		msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
		fmt.Fprintf(env.Stderr, "%s: %s\n", cmd.CommandPath(), msg)
		fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	if a.client {
		fmt.Fprintln(env.Stderr, clientMessage(err))
	} else {
		fmt.Fprintln(env.Stderr, "mangahub:", err)
	}
	return 1
}

// clientMessage is the one line a client command prints for err: the
// server's detail, or what went wrong on this side.
func clientMessage(err error) string {
	msg := err.Error()
	var e *mangahub.Error
	if errors.As(err, &e) && e.Message != "" {
		msg = e.Message
		if e.Code == mangahub.CodeInvalidToken {
			msg += ": log in again with mangahub login"
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

// rootCommand builds the whole tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mangahub",
		Short: "MangaHub: a self-hostable manga reading tracker",
		Long: `MangaHub is a self-hostable manga reading tracker. This one binary is the
server with its administration commands, and a command-line client of it.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError("a command is required")
		},
		Version: version(),
	}
	root.SetVersionTemplate("mangahub {{.Version}}\n")
	root.AddGroup(
		&cobra.Group{ID: "operator", Title: "Server and administration:"},
		&cobra.Group{ID: "client", Title: "Client of a MangaHub server:"},
	)
	for _, c := range []*cobra.Command{a.serveCommand(), a.migrateCommand(), a.userCommand(), a.catalogCommand(), a.versionCommand()} {
		c.GroupID = "operator"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.registerCommand(), a.loginCommand(), a.logoutCommand(), a.mangaCommand(), a.progressCommand(), a.syncCommand()} {
		c.GroupID = "client"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("operator")
	root.SetCompletionCommandGroupID("operator")
	return root
}

// run wraps a command's code: from here on, errors are the command's own
// (exit 1) unless they are usage errors.
func (a *app) run(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.running = true
		return f(cmd, args)
	}
}

// group returns a command that only holds subcommands: run alone, or with
// an unknown subcommand, it is a usage error.
func (a *app) group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q", args[0])
			}
			return usageError("a subcommand is required: %s", subcommandNames(cmd))
		},
	}
	c.AddCommand(subs...)
	return c
}

func subcommandNames(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// positional checks a command's positional arguments by name, so that a
// mistake names what is missing or extra.
func positional(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < len(names) {
			return usageError("missing %s", strings.Join(names[len(args):], " and "))
		}
		if len(args) > len(names) {
			return usageError("unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// describe turns a domain error into what an operator should read: the
// client-safe message for expected failures ("username is taken"), the full
// cause for internal ones (the operator, unlike an HTTP client, may see it).
func describe(err error) error {
	e := mangahub.AsError(err)
	if e.Code == mangahub.CodeInternal || e.Code == mangahub.CodeUnavailable {
		return err
	}
	return errors.New(e.Message)
}
