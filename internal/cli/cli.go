// Package cli is MangaHub's command tree: serve, migrate, user create,
// catalog import and version. Each command reads its configuration through
// internal/config and wires what it needs through internal/server.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/config"
)

// Version is set at build time (-ldflags "-X …/internal/cli.Version=v1.2.3");
// otherwise the module version or VCS revision is reported.
var Version = ""

// Env is what a command sees of the outside world; tests substitute it.
type Env struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
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

// Run executes one command and returns the exit status.
func Run(ctx context.Context, env Env) int {
	err := dispatch(ctx, env)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(env.Stderr, err)
		return 2
	default:
		fmt.Fprintln(env.Stderr, "mangahub:", err)
		return 1
	}
}

func dispatch(ctx context.Context, env Env) error {
	if len(env.Args) == 0 {
		usage(env.Stderr)
		return fmt.Errorf("%w: a command is required", errUsage)
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, env, args)
	case "migrate":
		return migrate(ctx, env, args)
	case "user":
		if len(args) == 0 || args[0] != "create" {
			return fmt.Errorf("%w: mangahub user create --username U --email E [--admin] --password-stdin", errUsage)
		}
		return userCreate(ctx, env, args[1:])
	case "catalog":
		if len(args) != 2 || args[0] != "import" {
			return fmt.Errorf("%w: mangahub catalog import FILE.json", errUsage)
		}
		return catalogImport(ctx, env, args[1])
	case "version", "--version", "-v":
		fmt.Fprintln(env.Stdout, "mangahub", version())
		return nil
	case "help", "--help", "-h":
		usage(env.Stdout)
		return nil
	}
	usage(env.Stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: mangahub <command> [flags]

Commands:
  serve [--services=http,tcp,worker] [flags]   run the HTTP API, the TCP sync server and the worker
  migrate [flags]                               apply database migrations and exit
  user create --username U --email E [--admin] --password-stdin
  catalog import FILE.json                      upsert manga and genres from a JSON array
  version                                       print the version

`)
	config.Usage(w)
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
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
