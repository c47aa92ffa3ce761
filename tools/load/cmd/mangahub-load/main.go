// Command mangahub-load measures a running MangaHub from the outside, over
// the public contract only (HTTP, the TCP line protocol, WebSocket): reads
// over HTTP against an in-memory reference server, idle TCP and WebSocket
// capacity and memory per connection, handshake rate, and the latency of
// progress acks and fan-out. It prepares a server for those runs through
// the same contract (generated catalog for `mangahub catalog import`,
// users registered over the API, their access tokens) and serves the
// yardsticks they are compared with. docs/performance.md has the method
// and the commands; tools/load/perf-*.sh run them. Every run is bounded in
// time and requests, and only talks to 127.0.0.0/8.
//
//	mangahub-load catalog   -n 19800 -out catalog.json   # then: mangahub catalog import catalog.json
//	mangahub-load users     -url http://127.0.0.1:8080 -n 1000 -out tokens.txt [-library 20]
//	mangahub-load refserver -addr 127.0.0.1:9090 -from http://127.0.0.1:8080 -tokens tokens.txt
//	mangahub-load http      -url http://127.0.0.1:8080 -tokens tokens.txt -server-pid PID -c 32 -d 10s -json-dir out/
//	mangahub-load table     out/*.json
//	mangahub-load tcp-idle  -addr 127.0.0.1:8081 -tokens tokens.txt -conns 19000 -procs 4 -src 127.0.0.2-127.0.0.5 -server-pid PID
//	mangahub-load tcp-fanout -addr 127.0.0.1:8081 -http http://127.0.0.1:8080 -tokens tokens.txt -users 500 -rate 5000
//	mangahub-load ws-idle   -addr ws://127.0.0.1:8080/ws -http http://127.0.0.1:8080 -tokens tokens.txt -conns 10000 -procs 4 -src 127.0.0.2-127.0.0.5 -server-pid PID
//	mangahub-load baseline  -addr 127.0.0.1:9081
//	mangahub-load ws-baseline -addr 127.0.0.1:9080
//	mangahub-load quantile  -url http://127.0.0.1:8080/metrics -name mangahub_write_behind_lag_seconds -q 0.99
//
// users and refserver take the server's JWT secret from MANGAHUB_JWT_SECRET
// (or -secret-file): the contract defines the access token's claims, so
// tokens can be minted like the server's own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, help string
	run        func(ctx context.Context, args []string) error
}

var commands = []command{
	{"catalog", "write generated manga for `mangahub catalog import`", catalogFile},
	{"users", "register load-test users over the API and write their access tokens", users},
	{"refserver", "the in-memory reference server, filled from a running MangaHub", serveReference},
	{"http", "closed-loop GETs of /api/manga/{id}, /api/manga?q= and /api/progress", httpLoad},
	{"table", "the Markdown table of http runs (their -json-dir files)", table},
	{"tcp-idle", "hold many idle authenticated TCP connections; server RSS per connection", tcpIdle},
	{"tcp-idle-worker", "one process of tcp-idle (started by it)", tcpIdleWorker},
	{"ws-idle", "hold many idle authenticated WebSocket connections; server RSS per connection", wsIdle},
	{"ws-idle-worker", "one process of ws-idle (started by it)", wsIdleWorker},
	{"tcp-fanout", "open-loop progress updates; ack and fan-out latency", tcpFanout},
	{"baseline", "the goroutine-per-connection baseline line server", serveBaseline},
	{"ws-baseline", "the textbook WebSocket server (coder/websocket, reader + writer goroutine)", serveWSBaseline},
	{"quantile", "a quantile of a histogram on a /metrics page", metricQuantile},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mangahub-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		for _, c := range commands {
			if c.name == args[0] {
				return c.run(ctx, args[1:])
			}
		}
	}
	fmt.Fprintln(os.Stderr, "usage: mangahub-load COMMAND [flags]  (COMMAND -h for its flags)")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-16s %s\n", c.name, c.help)
	}
	return flag.ErrHelp
}

// parse parses a command's flags and refuses positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
