package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

func (a *app) serveCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "serve [--services=http,tcp,worker] [configuration flags]",
		Short: "Run the HTTP API, the TCP sync server and the write-behind worker",
		Long: `Run the HTTP API, the TCP sync server and the write-behind worker in one
process, or any subset of them with --services. Migrations are applied and an
empty catalog is seeded with the sample. SIGINT or SIGTERM stops it cleanly.`,
		// internal/config owns these flags: they are handed to config.Load
		// as they were typed.
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, a.env, args, (*config.Config).RequireSecret)
			if cfg == nil {
				return err
			}
			logger := server.NewLogger(cfg, a.env.Stderr)
			srv, err := server.New(cmd.Context(), cfg, logger, version())
			if err != nil {
				return err
			}
			return srv.Run(cmd.Context())
		}),
	}
	c.SetHelpFunc(configHelp)
	return c
}

func (a *app) migrateCommand() *cobra.Command {
	c := &cobra.Command{
		Use:                   "migrate [configuration flags]",
		Short:                 "Apply the database migrations and exit",
		DisableFlagParsing:    true,
		DisableFlagsInUseLine: true,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			stores, err := openMigrated(cmd, a.env, args)
			if stores == nil {
				return err
			}
			defer stores.DB.Close()
			fmt.Fprintf(a.env.Stdout, "migrations applied (%s)\n", stores.Engine)
			return nil
		}),
	}
	c.SetHelpFunc(configHelp)
	return c
}

// configHelp is the help of a command whose flags are the configuration's.
func configHelp(cmd *cobra.Command, _ []string) {
	w := cmd.OutOrStdout()
	desc := cmd.Long
	if desc == "" {
		desc = cmd.Short
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n\n", desc, cmd.UseLine())
	fmt.Fprintln(w, "Every setting is an environment variable; the flag of the same name overrides it.")
	fmt.Fprintln(w, "Durations use Go syntax (500ms, 5m, 720h).")
	fmt.Fprintln(w)
	config.Usage(w)
}

// loadConfig reads the configuration from the environment and args, and
// reports every problem of it, and of the command's own checks, at once
// (exit status 2). When args ask for help, it prints the command's help and
// returns a nil Config and a nil error: the command is done.
func loadConfig(cmd *cobra.Command, env Env, args []string, checks ...func(*config.Config) error) (*config.Config, error) {
	cfg, err := config.Load(env.Getenv, args)
	if errors.Is(err, flag.ErrHelp) {
		configHelp(cmd, args)
		return nil, nil
	}
	if cfg != nil {
		for _, check := range checks {
			err = errors.Join(err, check(cfg))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: configuration:\n%v", errUsage, err)
	}
	return cfg, nil
}

// openMigrated opens the configured database and applies its migrations; the
// caller closes it. Like loadConfig, it returns nil and nil after printing
// help.
func openMigrated(cmd *cobra.Command, env Env, args []string) (*server.Stores, error) {
	cfg, err := loadConfig(cmd, env, args)
	if cfg == nil {
		return nil, err
	}
	return openMigratedConfig(cmd.Context(), cfg)
}

func openMigratedConfig(ctx context.Context, cfg *config.Config) (*server.Stores, error) {
	stores, err := server.OpenStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := stores.DB.Migrate(ctx); err != nil {
		stores.DB.Close()
		return nil, fmt.Errorf("migrate %s: %w", stores.Engine, err)
	}
	return stores, nil
}
