package loadtest

import (
	"context"
	"fmt"
	"os"

	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

// OpenStores opens and migrates the database that `mangahub serve` would
// use with the same environment (MANGAHUB_DATA_DIR, MANGAHUB_DATABASE_URL).
// SQLite in WAL mode lets this process work next to a running server.
func OpenStores(ctx context.Context) (*server.Stores, *config.Config, error) {
	cfg, err := config.Load(os.Getenv, nil)
	if err != nil {
		return nil, nil, err
	}
	stores, err := server.OpenStores(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := stores.DB.Migrate(ctx); err != nil {
		stores.DB.Close()
		return nil, nil, fmt.Errorf("migrate %s: %w", stores.Engine, err)
	}
	return stores, cfg, nil
}
