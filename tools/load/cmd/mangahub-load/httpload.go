package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
)

// httpLoad is the closed-loop read measurement of issue 7: the same
// requests, the same clients, against MangaHub or the reference server,
// reporting per route req/s, latency, the server's CPU per request and the
// mean response size.
func httpLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "the server's HTTP address (MangaHub or refserver)")
	tokensPath := fs.String("tokens", "tokens.txt", "tokens file (the first token is used)")
	routes := fs.String("routes", "manga-by-id,search,progress", "routes to measure, one run each, in order")
	ids := fs.Int("ids", 200, "manga-by-id: the first N manga of the catalog, in title order (1–10000)")
	queries := fs.String("queries", "", "search: queries separated by | (default: the built-in words)")
	serverPID := fs.Int("server-pid", 0, "the server's process ID, for its CPU time (/proc/PID/stat)")
	dbProcs := fs.String("db-procs", "", "also meter the CPU of every process whose command line contains this (e.g. \"postgres mh_perf\")")
	server := fs.String("server", "server", "the server's name in the report (e.g. mangahub-sqlite, reference)")
	catalog := fs.String("catalog", "", "the catalog's name in the report (e.g. \"200 manga\")")
	jsonDir := fs.String("json-dir", "", "also write each route's result as JSON into this directory, for `table`")
	clients := fs.Int("c", 32, "concurrent clients (1–1000)")
	d := fs.Duration("d", 10*time.Second, "measured duration per route (at most 10m)")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up before each route's run (at most 1m)")
	maxReq := fs.Int("n", 1_000_000, "bound on measured requests per route (1–10000000)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *clients < 1 || *clients > 1000:
		return fmt.Errorf("-c must be between 1 and 1000")
	case *d <= 0 || *d > 10*time.Minute || *warmup < 0 || *warmup > time.Minute:
		return fmt.Errorf("-d must be in (0, 10m], -warmup in [0, 1m]")
	case *maxReq < 1 || *maxReq > 10_000_000:
		return fmt.Errorf("-n must be between 1 and 10000000")
	case *ids < 1 || *ids > 10_000:
		return fmt.Errorf("-ids must be between 1 and 10000")
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
	api := loadtest.API{Base: *base}
	for _, route := range strings.Split(*routes, ",") {
		route = strings.TrimSpace(route)
		var mangaIDs []int64
		if route == loadtest.RouteMangaByID {
			if mangaIDs, err = api.MangaIDs(ctx, tokens[0], *ids); err != nil {
				return err
			}
		}
		paths, err := loadtest.RoutePaths(route, mangaIDs, loadtest.ParseQueries(*queries))
		if err != nil {
			return err
		}
		drv := loadtest.NewHTTPGet(*base, tokens[0], *clients, paths)
		// Fail fast on a wrong token or address instead of measuring errors.
		if err := drv.Op(ctx, 0, 0); err != nil {
			drv.Close()
			return err
		}
		if *warmup > 0 {
			loadtest.ClosedLoop{Clients: *clients, Duration: *warmup}.Run(ctx, drv.Op)
		}
		drv.ResetBytes()
		procs := []cpuProc{{label: "server", pid: *serverPID}, {label: "load tool", pid: os.Getpid()}}
		if *dbProcs != "" {
			procs = append(procs, cpuProc{label: "database processes", comm: *dbProcs})
		}
		serverBefore, serverErr := loadtest.CPUTime(*serverPID)
		dbBefore, dbErr := dbCPU(*dbProcs)
		cpu := startCPU(procs...)
		res := loadtest.ClosedLoop{Clients: *clients, Duration: *d, MaxRequests: *maxReq}.Run(ctx, drv.Op)
		serverAfter, serverErr2 := loadtest.CPUTime(*serverPID)
		dbAfter, dbErr2 := dbCPU(*dbProcs)
		drv.Close()

		run := loadtest.HTTPRun{Server: *server, Catalog: *catalog, Route: route, Result: res, MeanBytes: drv.MeanBytes()}
		if *serverPID > 0 && serverErr == nil && serverErr2 == nil && res.Requests > 0 {
			used := serverAfter - serverBefore
			run.ServerCPUPerReq = used / time.Duration(res.Requests)
			run.ServerCPUShare = used.Seconds() / res.Elapsed.Seconds()
		}
		if *dbProcs != "" && dbErr == nil && dbErr2 == nil && res.Requests > 0 {
			run.DBCPUPerReq = (dbAfter - dbBefore) / time.Duration(res.Requests)
		}
		res.WriteText(os.Stdout, fmt.Sprintf("%s %s (%s, %d paths)", *server, route, *catalog, len(paths)))
		fmt.Printf("  mean response %.0f bytes\n", run.MeanBytes)
		cpu.report(os.Stdout, res.Requests)
		if *jsonDir != "" {
			name := fmt.Sprintf("%s_%s_%s.json", *server, strings.ReplaceAll(*catalog, " ", ""), route)
			if err := loadtest.WriteJSON(filepath.Join(*jsonDir, name), run); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// dbCPU is the CPU time of the database processes; none without a pattern.
func dbCPU(pattern string) (time.Duration, error) {
	if pattern == "" {
		return 0, nil
	}
	return loadtest.MatchingCPU(pattern)
}

// table prints the Markdown tables of http runs from their JSON files:
// issue 7's comparison, then every figure of every run.
func table(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	reference := fs.String("reference", "reference", "the server the others are compared with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("table: name the JSON files of http runs (-json-dir)")
	}
	runs, err := loadtest.ReadHTTPRuns(fs.Args())
	if err != nil {
		return err
	}
	loadtest.WriteHTTPSummary(os.Stdout, runs, *reference)
	fmt.Println()
	loadtest.WriteHTTPTable(os.Stdout, runs, *reference)
	return nil
}
