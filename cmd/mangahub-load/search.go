package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/mangahub/mangahub/internal/loadtest"
)

// loopFlags are the closed-loop flags the HTTP and store drivers share, so
// that both run the same way.
type loopFlags struct {
	clients          *int
	duration, warmup *time.Duration
	max              *int
	queries          *string
	json             *string
	dbComm           *string
}

func addLoopFlags(fs *flag.FlagSet) loopFlags {
	return loopFlags{
		clients:  fs.Int("c", 8, "concurrent clients (1–1000)"),
		duration: fs.Duration("d", 10*time.Second, "measured duration (at most 10m)"),
		warmup:   fs.Duration("warmup", 2*time.Second, "unmeasured warm-up before it"),
		max:      fs.Int("n", 1_000_000, "bound on measured requests (1–10000000)"),
		queries:  fs.String("queries", "", "search queries separated by | (default: the built-in mix)"),
		json:     fs.String("json", "", "also write the result as JSON to this file"),
		dbComm:   fs.String("db-procs", "", "also meter the CPU of every process whose command line contains this (e.g. \"postgres mh_perf\")"),
	}
}

func (l loopFlags) loop() (loadtest.ClosedLoop, error) {
	switch {
	case *l.clients < 1 || *l.clients > 1000:
		return loadtest.ClosedLoop{}, fmt.Errorf("-c must be between 1 and 1000")
	case *l.duration <= 0 || *l.duration > 10*time.Minute || *l.warmup < 0 || *l.warmup > time.Minute:
		return loadtest.ClosedLoop{}, fmt.Errorf("-d must be in (0, 10m], -warmup in [0, 1m]")
	case *l.max < 1 || *l.max > 10_000_000:
		return loadtest.ClosedLoop{}, fmt.Errorf("-n must be between 1 and 10000000")
	}
	return loadtest.ClosedLoop{Clients: *l.clients, Duration: *l.duration, MaxRequests: *l.max}, nil
}

// measure runs the warm-up as a run of its own, so that the CPU time read
// around the measured run belongs to measured requests only.
func (l loopFlags) measure(ctx context.Context, loop loadtest.ClosedLoop, op loadtest.Op, procs ...cpuProc) (loadtest.Result, *cpuMeter) {
	if *l.warmup > 0 {
		loadtest.ClosedLoop{Clients: loop.Clients, Duration: *l.warmup}.Run(ctx, op)
	}
	if *l.dbComm != "" {
		procs = append(procs, cpuProc{label: "database processes", comm: *l.dbComm})
	}
	cpu := startCPU(procs...)
	return loop.Run(ctx, op), cpu
}

func httpSearch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's HTTP address")
	tokensPath := fs.String("tokens", "tokens.txt", "tokens file (the first token is used)")
	serverPID := fs.Int("server-pid", 0, "the server's process ID, to report its CPU time")
	lf := addLoopFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	loop, err := lf.loop()
	if err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("-url must be http://host:port")
	}
	if err := loadtest.CheckLoopback(u.Host); err != nil {
		return err
	}
	tokens, err := loadtest.ReadTokens(*tokensPath)
	if err != nil {
		return err
	}
	queries := loadtest.ParseQueries(*lf.queries)
	drv := loadtest.NewHTTPSearch(*base, tokens[0], loop.Clients, queries)
	defer drv.Close()
	// Fail fast on a wrong token or address instead of measuring errors.
	if err := drv.Op(ctx, 0, 0); err != nil {
		return err
	}
	res, cpu := lf.measure(ctx, loop, drv.Op, cpuProc{label: "server", pid: *serverPID}, cpuProc{label: "load tool", pid: os.Getpid()})
	res.WriteText(os.Stdout, fmt.Sprintf("HTTP GET /api/manga?q= (%d queries)", len(queries)))
	cpu.report(os.Stdout, res.Requests)
	return loadtest.WriteJSON(*lf.json, res)
}

func storeSearch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	lf := addLoopFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	loop, err := lf.loop()
	if err != nil {
		return err
	}
	stores, _, err := loadtest.OpenStores(ctx)
	if err != nil {
		return err
	}
	defer stores.DB.Close()
	queries := loadtest.ParseQueries(*lf.queries)
	drv := loadtest.NewStoreSearch(stores.Manga, queries)
	if err := drv.Op(ctx, 0, 0); err != nil {
		return err
	}
	res, cpu := lf.measure(ctx, loop, drv.Op, cpuProc{label: "driver", pid: os.Getpid()})
	res.WriteText(os.Stdout, fmt.Sprintf("store %s FindManga (%d queries)", stores.Engine, len(queries)))
	cpu.report(os.Stdout, res.Requests)
	return loadtest.WriteJSON(*lf.json, res)
}
