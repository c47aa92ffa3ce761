package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/baseline"
	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
)

// idleTransport is what differs between tcp-idle and ws-idle: the address
// and how a connection is opened.
type idleTransport struct {
	name, addr, addrHelp string
	checkAddr            func(string) error
	dial                 loadtest.IdleDialer
}

var (
	tcpIdleTransport = idleTransport{
		name: "tcp-idle", addr: "127.0.0.1:8081",
		addrHelp:  "TCP sync address (the real server or the baseline)",
		checkAddr: loadtest.CheckLoopback, dial: loadtest.DialIdleTCP,
	}
	wsIdleTransport = idleTransport{
		name: "ws-idle", addr: "ws://127.0.0.1:8080/ws",
		addrHelp:  "WebSocket URL (the real server or ws-baseline)",
		checkAddr: loadtest.CheckWSURL, dial: loadtest.DialIdleWS,
	}
)

func tcpIdle(ctx context.Context, args []string) error { return runIdle(ctx, args, tcpIdleTransport) }

func tcpIdleWorker(ctx context.Context, args []string) error {
	return runIdleWorker(ctx, args, tcpIdleTransport)
}

func wsIdle(ctx context.Context, args []string) error { return runIdle(ctx, args, wsIdleTransport) }

func wsIdleWorker(ctx context.Context, args []string) error {
	return runIdleWorker(ctx, args, wsIdleTransport)
}

// runIdle is tcp-idle and ws-idle: Procs worker processes hold the
// connections while the server's RSS (and runtime metrics) are read.
func runIdle(ctx context.Context, args []string, tr idleTransport) error {
	fs := flag.NewFlagSet(tr.name, flag.ContinueOnError)
	addr := fs.String("addr", tr.addr, tr.addrHelp)
	tokensPath := fs.String("tokens", "tokens.txt", "tokens file; connection i uses token i mod N")
	conns := fs.Int("conns", 19000, "connections in all (1–100000)")
	procs := fs.Int("procs", 4, "worker processes (each holds conns/procs; 1–64)")
	srcs := fs.String("src", "", "loopback source addresses, e.g. 127.0.0.2-127.0.0.5 (worker i uses the i-th)")
	conc := fs.Int("c", 64, "handshakes in flight per worker (1–1000)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-handshake and per-ping timeout")
	pid := fs.Int("server-pid", 0, "process whose RSS is measured before and after")
	httpBase := fs.String("http", "", "the server's HTTP address, for /readyz and /metrics (ws-baseline serves /metrics)")
	check := fs.Bool("check", true, "ping every connection at the end")
	window := fs.Duration("settle-window", 5*time.Second, "RSS must stay within the tolerance this long")
	settleTimeout := fs.Duration("settle-timeout", 90*time.Second, "longest wait for the RSS to settle")
	gap := fs.Duration("settle-gap", 3*time.Second, "between the two RSS readings")
	tolerance := fs.Int64("settle-tolerance", 512<<10, "RSS movement (bytes) still counted as settled")
	hold := fs.Duration("hold", 10*time.Minute, "workers close their connections after this long at most")
	afterWait := fs.Duration("after-wait", 0, "hold the connections this long before the RSS is read again (180s: after the server's first idle GC and scavenging)")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *afterWait < 0 || *afterWait >= *hold:
		return fmt.Errorf("-after-wait must be in [0, -hold)")
	case *conns < 1 || *conns > 100_000:
		return fmt.Errorf("-conns must be between 1 and 100000")
	case *procs < 1 || *procs > 64:
		return fmt.Errorf("-procs must be between 1 and 64")
	case *conc < 1 || *conc > 1000:
		return fmt.Errorf("-c must be between 1 and 1000")
	case *hold <= 0 || *hold > time.Hour:
		return fmt.Errorf("-hold must be in (0, 1h]")
	}
	if err := tr.checkAddr(*addr); err != nil {
		return err
	}
	if err := checkHTTPBase(*httpBase); err != nil {
		return err
	}
	sources, err := loadtest.ParseSources(*srcs)
	if err != nil {
		return err
	}
	if _, err := loadtest.ReadTokens(*tokensPath); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	run := loadtest.IdleRun{
		Conns: *conns, Procs: *procs, Sources: sources, Concurrency: *conc,
		ServerPID: *pid, HTTPBase: *httpBase, Check: *check, AfterWait: *afterWait,
		Settle:       loadtest.SettleConfig{Window: *window, Timeout: *settleTimeout, Gap: *gap, Tolerance: *tolerance},
		ReadyTimeout: *hold,
		Spawn: func(i, offset, count int, src netip.Addr) *exec.Cmd {
			a := []string{tr.name + "-worker", "-addr", *addr, "-tokens", *tokensPath,
				"-offset", strconv.Itoa(offset), "-count", strconv.Itoa(count),
				"-c", strconv.Itoa(*conc), "-timeout", timeout.String(), "-hold", hold.String()}
			if src.IsValid() {
				a = append(a, "-src", src.String())
			}
			return exec.CommandContext(ctx, self, a...)
		},
	}
	res, err := run.Run(ctx)
	res.WriteText(os.Stdout)
	res.WritePerConn(os.Stdout)
	if err != nil {
		return err
	}
	return loadtest.WriteJSON(*jsonPath, res)
}

// runIdleWorker is one process of runIdle.
func runIdleWorker(ctx context.Context, args []string, tr idleTransport) error {
	fs := flag.NewFlagSet(tr.name+"-worker", flag.ContinueOnError)
	addr := fs.String("addr", tr.addr, tr.addrHelp)
	tokensPath := fs.String("tokens", "tokens.txt", "tokens file")
	offset := fs.Int("offset", 0, "global index of the first connection")
	count := fs.Int("count", 1000, "connections (1–20000)")
	src := fs.String("src", "", "loopback source address")
	conc := fs.Int("c", 64, "handshakes in flight (1–1000)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-handshake timeout")
	hold := fs.Duration("hold", 10*time.Minute, "close everything after this long at most")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *count < 1 || *count > 20_000 || *conc < 1 || *conc > 1000 || *offset < 0 || *hold <= 0 || *hold > time.Hour {
		return fmt.Errorf("%s: flag out of range", fs.Name())
	}
	if err := tr.checkAddr(*addr); err != nil {
		return err
	}
	tokens, err := loadtest.ReadTokens(*tokensPath)
	if err != nil {
		return err
	}
	h := &loadtest.IdleHolder{Addr: *addr, Tokens: tokens, Offset: *offset, Count: *count, Concurrency: *conc, Timeout: *timeout, Dial: tr.dial}
	if *src != "" {
		srcs, err := loadtest.ParseSources(*src)
		if err != nil || len(srcs) != 1 {
			return fmt.Errorf("-src: want one loopback address")
		}
		h.Source = srcs[0]
	}
	return loadtest.RunIdleWorker(ctx, h, os.Stdin, os.Stdout, *hold)
}

// serveWSBaseline runs the textbook WebSocket server (coder/websocket
// defaults, a reader and a writer goroutine per connection).
func serveWSBaseline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ws-baseline", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9080", "listen address (loopback); /ws and /metrics")
	if err := parse(fs, args); err != nil {
		return err
	}
	ln, err := loadtest.ListenLoopback(*addr)
	if err != nil {
		return err
	}
	fmt.Printf("baseline WebSocket server on ws://%s/ws, pid %d\n", ln.Addr(), os.Getpid())
	b := baseline.NewWS()
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
		b.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
