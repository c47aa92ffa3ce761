// Command mangahub-load measures MangaHub: catalog search over HTTP and
// directly against the store, idle TCP and WebSocket capacity and memory per connection,
// handshake rate, and the latency of progress acks and fan-out. It also
// prepares databases for those runs (a generated catalog, load-test users
// and their access tokens) and serves the baseline line server that memory
// figures are compared with. docs/performance.md has the method and the
// commands; every run is bounded in time and requests, and only talks to
// 127.0.0.0/8.
//
//	mangahub-load seed      -n 3000                      # catalog, via the catalog service
//	mangahub-load users     -n 1000 -out tokens.txt      # users + access tokens
//	mangahub-load http      -url http://127.0.0.1:8080 -tokens tokens.txt -c 8 -d 10s
//	mangahub-load store     -c 8 -d 10s                  # the same searches, no HTTP
//	mangahub-load tcp-idle  -addr 127.0.0.1:8081 -tokens tokens.txt -conns 19000 -procs 4 -src 127.0.0.2-127.0.0.5 -server-pid PID
//	mangahub-load tcp-fanout -addr 127.0.0.1:8081 -http http://127.0.0.1:8080 -tokens tokens.txt -users 500 -rate 5000
//	mangahub-load ws-idle   -addr ws://127.0.0.1:8080/ws -http http://127.0.0.1:8080 -tokens tokens.txt -conns 10000 -procs 4 -src 127.0.0.2-127.0.0.5 -server-pid PID
//	mangahub-load baseline  -addr 127.0.0.1:9081
//	mangahub-load flush     -db postgres://… -rows 100000 -batch 1000
//	mangahub-load quantile  -url http://127.0.0.1:8080/metrics -name mangahub_write_behind_lag_seconds -q 0.99
//	mangahub-load ws-baseline -addr 127.0.0.1:9080
//	mangahub-load serve     -cpuprofile cpu.out          # the real server in-process, profiled
//
// seed, users, store and serve read the server's environment
// (MANGAHUB_DATA_DIR, MANGAHUB_DATABASE_URL, MANGAHUB_JWT_SECRET, …).
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
	{"seed", "import generated manga through the catalog service", seed},
	{"users", "create load-test users and write their access tokens", users},
	{"http", "closed-loop GET /api/manga?q=… against a running server", httpSearch},
	{"store", "the same searches directly against MangaStore.FindManga", storeSearch},
	{"tcp-idle", "hold many idle authenticated TCP connections; server RSS per connection", tcpIdle},
	{"tcp-idle-worker", "one process of tcp-idle (started by it)", tcpIdleWorker},
	{"ws-idle", "hold many idle authenticated WebSocket connections; server RSS per connection", wsIdle},
	{"ws-idle-worker", "one process of ws-idle (started by it)", wsIdleWorker},
	{"tcp-fanout", "open-loop progress updates; ack and fan-out latency", tcpFanout},
	{"baseline", "the goroutine-per-connection baseline line server", serveBaseline},
	{"flush", "write-behind flush throughput against the design document's method and raw COPY", flushBench},
	{"quantile", "a quantile of a histogram on a /metrics page", metricQuantile},
	{"ws-baseline", "the textbook WebSocket server (coder/websocket, reader + writer goroutine)", serveWSBaseline},
	{"serve", "run the real server in this process, optionally CPU-profiled", serve},
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
