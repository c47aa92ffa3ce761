package cli

import (
	"context"
	"fmt"

	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

func loadConfig(env Env, args []string) (*config.Config, error) {
	cfg, err := config.Load(env.Getenv, args)
	if err != nil {
		return nil, fmt.Errorf("%w: configuration:\n%v", errUsage, err)
	}
	return cfg, nil
}

func serve(ctx context.Context, env Env, args []string) error {
	cfg, err := loadConfig(env, args)
	if err != nil {
		return err
	}
	if err := cfg.RequireSecret(); err != nil {
		return fmt.Errorf("%w: configuration:\n%v", errUsage, err)
	}
	logger := server.NewLogger(cfg, env.Stderr)
	srv, err := server.New(ctx, cfg, logger, version())
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func migrate(ctx context.Context, env Env, args []string) error {
	stores, err := openMigrated(ctx, env, args)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	fmt.Fprintf(env.Stdout, "migrations applied (%s)\n", stores.Engine)
	return nil
}

// openMigrated opens the configured database and applies its migrations; the
// caller closes it.
func openMigrated(ctx context.Context, env Env, args []string) (*server.Stores, error) {
	cfg, err := loadConfig(env, args)
	if err != nil {
		return nil, err
	}
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
