package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/postgres"
	"github.com/mangahub/mangahub/internal/sqlite"
)

// database is what the composition root needs of an engine's handle.
type database interface {
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error
}

// Stores are the durable stores of one engine.
type Stores struct {
	Engine   string // "sqlite" or "postgres"
	DB       database
	Users    mangahub.UserStore
	Tokens   mangahub.RefreshTokenStore
	Manga    mangahub.MangaStore
	Progress mangahub.ProgressStore
}

// OpenStores opens the engine the configuration selects: embedded SQLite in
// the data directory, or PostgreSQL. It does not migrate. Opening PostgreSQL
// succeeds even while the server is down; Migrate is what waits for it.
func OpenStores(ctx context.Context, cfg *config.Config) (*Stores, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return &Stores{
			Engine: "postgres", DB: db,
			Users: postgres.NewUserStore(db), Tokens: postgres.NewRefreshTokenStore(db),
			Manga: postgres.NewMangaStore(db), Progress: postgres.NewProgressStore(db),
		}, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "mangahub.db"))
	if err != nil {
		return nil, fmt.Errorf("open SQLite database in %s: %w", cfg.DataDir, err)
	}
	return &Stores{
		Engine: "sqlite", DB: db,
		Users: sqlite.NewUserStore(db), Tokens: sqlite.NewRefreshTokenStore(db),
		Manga: sqlite.NewMangaStore(db), Progress: sqlite.NewProgressStore(db),
	}, nil
}
