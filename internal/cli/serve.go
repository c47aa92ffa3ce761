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
	logger := server.NewLogger(cfg, env.Stderr)
	srv, err := server.New(ctx, cfg, logger, version())
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func migrate(ctx context.Context, env Env, args []string) error {
	cfg, err := loadConfig(env, args)
	if err != nil {
		return err
	}
	stores, err := server.OpenStores(ctx, cfg)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	if err := stores.DB.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", stores.Engine, err)
	}
	fmt.Fprintf(env.Stdout, "migrations applied (%s)\n", stores.Engine)
	return nil
}
