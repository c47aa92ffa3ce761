package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/baseline"
	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
)

func tcpFanout(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tcp-fanout", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "TCP sync address")
	recvAddr := fs.String("recv-addr", "", "TCP sync address of the receiving connections (another instance); default -addr")
	httpBase := fs.String("http", "http://127.0.0.1:8080", "HTTP address, to find manga to update")
	tokensPath := fs.String("tokens", "tokens.txt", "tokens file; user u uses line u")
	nUsers := fs.Int("users", 500, "users (1–10000)")
	perUser := fs.Int("conns-per-user", 2, "connections per user: one sender, the rest receive (2–20)")
	rate := fs.Float64("rate", 5000, "progress updates per second in all (1–100000)")
	d := fs.Duration("d", 10*time.Second, "measured duration (at most 5m)")
	warmup := fs.Duration("warmup", 2*time.Second, "sent but not measured, before it")
	drain := fs.Duration("drain", 5*time.Second, "longest wait for outstanding answers afterwards")
	srcs := fs.String("src", "", "loopback source addresses, used round robin")
	conc := fs.Int("c", 64, "handshakes in flight (1–1000)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-handshake timeout")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	serverPID := fs.Int("server-pid", 0, "the server's process ID, to report its CPU time")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *nUsers < 1 || *nUsers > 10_000:
		return fmt.Errorf("-users must be between 1 and 10000")
	case *perUser < 2 || *perUser > 20:
		return fmt.Errorf("-conns-per-user must be between 2 and 20")
	case *rate < 1 || *rate > 100_000:
		return fmt.Errorf("-rate must be between 1 and 100000")
	case *d <= 0 || *d > 5*time.Minute || *warmup < 0 || *warmup > time.Minute || *drain < 0 || *drain > time.Minute:
		return fmt.Errorf("-d must be in (0, 5m], -warmup and -drain in [0, 1m]")
	case *conc < 1 || *conc > 1000:
		return fmt.Errorf("-c must be between 1 and 1000")
	}
	sources, tokens, err := tcpTargets(*addr, *httpBase, *srcs, *tokensPath)
	if err != nil {
		return err
	}
	if *recvAddr != "" {
		if err := loadtest.CheckLoopback(*recvAddr); err != nil {
			return err
		}
	}
	manga, err := loadtest.OpenEndedManga(ctx, *httpBase, tokens[0], 50)
	if err != nil {
		return err
	}
	f := loadtest.Fanout{
		Addr: *addr, RecvAddr: *recvAddr, Tokens: tokens, Users: *nUsers, ConnsPerUser: *perUser, Rate: *rate,
		Warmup: *warmup, Duration: *d, Drain: *drain, MangaIDs: manga, Sources: sources,
		Concurrency: *conc, Timeout: *timeout,
	}
	// CPU over the measured window: were the two cores the limit?
	var cpu *cpuMeter
	var report strings.Builder
	f.Window = func(begin bool) {
		if begin {
			cpu = startCPU(cpuProc{label: "server", pid: *serverPID}, cpuProc{label: "load tool", pid: os.Getpid()})
		} else {
			cpu.report(&report, 0)
		}
	}
	res, err := f.Run(ctx)
	if err != nil {
		return err
	}
	res.WriteText(os.Stdout)
	fmt.Print(report.String())
	return loadtest.WriteJSON(*jsonPath, res)
}

func serveBaseline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9081", "listen address (loopback)")
	if err := parse(fs, args); err != nil {
		return err
	}
	ln, err := loadtest.ListenLoopback(*addr)
	if err != nil {
		return err
	}
	fmt.Printf("baseline line server on %s, pid %d\n", ln.Addr(), os.Getpid())
	s := baseline.New()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	return s.Serve(ln)
}

// tcpTargets checks that every address a TCP run talks to is on loopback
// and reads the source addresses and tokens it uses.
func tcpTargets(addr, httpBase, srcs, tokensPath string) ([]netip.Addr, []string, error) {
	if err := loadtest.CheckLoopback(addr); err != nil {
		return nil, nil, err
	}
	if err := checkHTTPBase(httpBase); err != nil {
		return nil, nil, err
	}
	sources, err := loadtest.ParseSources(srcs)
	if err != nil {
		return nil, nil, err
	}
	tokens, err := loadtest.ReadTokens(tokensPath)
	if err != nil {
		return nil, nil, err
	}
	return sources, tokens, nil
}
