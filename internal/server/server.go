// Package server is MangaHub's composition root: configuration → logger →
// stores → bus → services → listeners, and the ordered shutdown. It is the
// only package that picks an engine (SQLite or PostgreSQL).
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/auth"
	"github.com/mangahub/mangahub/internal/catalog"
	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/httpapi"
	"github.com/mangahub/mangahub/internal/hub"
	"github.com/mangahub/mangahub/internal/inmem"
	"github.com/mangahub/mangahub/internal/metrics"
	"github.com/mangahub/mangahub/internal/progress"
	"github.com/mangahub/mangahub/internal/tcpsync"
	"github.com/mangahub/mangahub/internal/web"
	"github.com/mangahub/mangahub/internal/writebehind"
	"github.com/mangahub/mangahub/internal/ws"
)

// ShutdownTimeout bounds the graceful part of a shutdown: in-flight requests
// and acks get this long, then connections are closed regardless.
const ShutdownTimeout = 10 * time.Second

// NewLogger returns the slog logger the configuration asks for, on w.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Server is one running MangaHub process.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	version string
	metrics *metrics.Metrics
	stores  *Stores
	// hybrid is the Redis side (hot store, queue, bus, shared limiters);
	// nil without MANGAHUB_REDIS_URL.
	hybrid *hybrid
	bus    mangahub.Bus
	// limits are the progress and auth limiters.
	limits limits

	Auth     *auth.Service
	Catalog  *catalog.Service
	Progress *progress.Service
	hub      *hub.Hub
	tcp      *tcpsync.Server
	http     *http.Server

	// HTTPAddr and TCPAddr are the bound addresses (useful with ":0").
	HTTPAddr, TCPAddr net.Addr

	mu       sync.Mutex
	dbReady  bool
	dbErr    error
	migrated chan struct{}
}

// New wires a server from the configuration and opens its stores and
// listeners; Run serves until the context ends.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, version string) (*Server, error) {
	secret, err := JWTSecret(cfg)
	if err != nil {
		return nil, err
	}
	stores, err := OpenStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: logger, version: version, metrics: metrics.New(), stores: stores, migrated: make(chan struct{})}
	progressStore := stores.Progress
	s.bus = inmem.NewBus()
	s.limits = localLimits(cfg)
	if cfg.RedisURL != "" {
		if s.hybrid, err = openHybrid(cfg, stores, s.metrics, logger); err != nil {
			stores.DB.Close()
			return nil, err
		}
		progressStore, s.bus, s.limits = s.hybrid.store, s.hybrid.bus, s.hybrid.limits
	}
	bus := s.bus
	s.Auth = auth.New(stores.Users, stores.Tokens, auth.Config{
		Secret: secret, AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL,
	})
	mangaStore := stores.Manga
	if s.hybrid != nil {
		mangaStore = writebehind.NewMangaStore(stores.Manga, s.hybrid.store)
	}
	// A deleted manga's readers are told like any other delete (the
	// progress service is made below; the hook runs only later).
	s.Catalog = catalog.New(mangaStore, catalog.BeforeDelete(func(ctx context.Context, id int64) error {
		return s.Progress.RemoveManga(ctx, id)
	}), catalog.CacheFor(cfg.CatalogCacheTTL), catalog.Announce(bus))
	// Libraries are kept in memory only without Redis: with it, the hot
	// store serves them already, and other instances write them without
	// this one hearing of it.
	var libraryTTL time.Duration
	if cfg.RedisURL == "" {
		libraryTTL = cfg.LibraryCacheTTL
	}
	s.Progress = progress.New(progressStore, s.Catalog, bus, s.limits.progress, progress.Config{
		Logger:          logger,
		LibraryCacheTTL: libraryTTL,
		Observe: func(src mangahub.Source, result string) {
			s.metrics.ProgressUpdates.WithLabelValues(string(src), result).Inc()
		},
	})
	s.hub = hub.New(hub.Config{
		MaxConnsPerUser: cfg.TCPMaxConnsPerUser,
		AuthTimeout:     cfg.TCPAuthTimeout,
		IdleTimeout:     cfg.TCPIdleTimeout,
		SendQueue:       256,
	}, s.Auth, s.Progress, bus, logger, s.metrics)

	if err := s.listen(cfg); err != nil {
		s.hybrid.close()
		stores.DB.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(cfg *config.Config) error {
	deps := httpapi.Deps{
		Auth: s.Auth, Catalog: s.Catalog, Progress: s.Progress,
		Metrics: s.metrics, Logger: s.log, Ready: s.readiness,
		AuthByAddr: s.limits.authByAddr, AuthByLogin: s.limits.authByLogin,
		Version:       s.version,
		Connections:   s.hub,
		CatalogMaxAge: cfg.CatalogCacheTTL,
		OpsOnly:       !cfg.Services.HTTP,
	}
	if cfg.Services.HTTP {
		deps.WebSocket = ws.NewHandler(s.hub, ws.Config{OriginPatterns: cfg.AllowedOrigins}, s.log)
		deps.Web = web.Handler()
	}
	hl, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP listener: %w", err)
	}
	s.HTTPAddr = hl.Addr()
	s.http = &http.Server{
		Handler:           httpapi.New(deps),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go s.serveHTTP(hl)

	if cfg.Services.TCP {
		tl, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			s.http.Close()
			return fmt.Errorf("TCP listener: %w", err)
		}
		s.TCPAddr = tl.Addr()
		s.tcp = tcpsync.NewServer(s.hub, tcpsync.Config{}, s.log)
		go func() {
			if err := s.tcp.Serve(tl); err != nil && !errors.Is(err, tcpsync.ErrServerClosed) {
				s.log.Error("TCP server stopped", "err", err)
			}
		}()
	}
	return nil
}

func (s *Server) serveHTTP(ln net.Listener) {
	if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("HTTP server stopped", "err", err)
	}
}

// Run prepares the database (retrying with backoff while it is down), seeds
// an empty catalog, serves until ctx ends, then shuts down in order.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("serving", "http_addr", s.HTTPAddr.String(), "tcp_addr", addrString(s.TCPAddr),
		"engine", s.stores.Engine, "services", s.cfg.Services.String(), "write_mode", s.cfg.WriteMode, "version", s.version)
	go s.prepareDatabase(ctx)
	stopListening, err := s.Catalog.Listen(ctx)
	if err != nil {
		s.log.Warn("catalog changes of other instances are not heard yet; until they are, they are seen when cached entries expire",
			"cache_ttl", s.cfg.CatalogCacheTTL.String(), "err", err)
	}
	if s.hybrid != nil {
		s.hybrid.start(ctx, s.migrated)
	}
	<-ctx.Done()
	stopListening()
	return s.Shutdown()
}

func (s *Server) prepareDatabase(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		err := s.stores.DB.Migrate(ctx)
		if err == nil {
			break
		}
		s.setDBState(false, err)
		s.log.Warn("database not ready; retrying", "engine", s.stores.Engine, "retry_in", backoff.String(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	if n, err := s.Catalog.SeedIfEmpty(ctx); err != nil {
		s.log.Error("seeding the sample catalog failed", "err", err)
	} else if n > 0 {
		s.log.Info("seeded the sample catalog", "manga", n)
	}
	s.setDBState(true, nil)
	close(s.migrated)
}

func (s *Server) setDBState(ready bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbReady, s.dbErr = ready, err
}

// Shutdown stops in the order that loses nothing: stop accepting TCP, tell
// every sync client and let in-flight acks finish, drain HTTP, then close the
// stores (which flush what they hold).
func (s *Server) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	var errs []error
	if s.tcp != nil {
		errs = append(errs, s.tcp.Shutdown(ctx))
	}
	errs = append(errs, s.hub.Shutdown(ctx))
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, err)
		s.http.Close()
	}
	// Every change is acknowledged by now: flush what waits in the queue,
	// however long the flush interval, then close the stores.
	errs = append(errs, s.hybrid.shutdown(s.log))
	s.Catalog.Close()
	errs = append(errs, s.stores.DB.Close())
	s.log.Info("stopped")
	return errors.Join(errs...)
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
