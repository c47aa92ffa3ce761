package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// IdleRun is an idle-capacity run: Conns authenticated connections opened by
// Procs worker processes (the per-process file limit is the reason for more
// than one), each from its own source address, while the server's RSS is
// read before and after.
type IdleRun struct {
	Conns       int
	Procs       int
	Sources     []netip.Addr // worker i dials from Sources[i % len]; none: any
	Concurrency int          // handshakes in flight per worker
	// Spawn returns the (unstarted) command of worker i for connections
	// offset … offset+count-1 from src; it must end up in RunIdleWorker.
	Spawn func(i, offset, count int, src netip.Addr) *exec.Cmd
	// ServerPID, when set, is the process whose RSS is measured.
	ServerPID int
	// HTTPBase, when set, is the server's HTTP address (http://host:port),
	// asked for /readyz and /metrics after the RSS readings.
	HTTPBase string
	Settle   SettleConfig
	// AfterWait, when set, is how long the connections are held before the
	// "after" RSS is settled and read: past 2 minutes, the reading comes
	// after the server's first idle garbage collection (the Go runtime
	// forces one every 2 minutes) and the scavenging that follows it, so
	// it no longer counts the garbage of the handshake burst.
	AfterWait time.Duration
	// Check pings every connection at the end to prove it is still open.
	Check bool
	// ReadyTimeout bounds the wait for every worker to report.
	ReadyTimeout time.Duration
}

// SettleConfig tunes SettledRSS.
type SettleConfig struct {
	Window, Timeout, Gap time.Duration
	Tolerance            int64
}

// IdleResult is what an idle run measured.
type IdleResult struct {
	Requested   int            `json:"requested"`
	Procs       int            `json:"procs"`
	Concurrency int            `json:"concurrency_per_proc"`
	Opened      int            `json:"opened"`
	Failed      int            `json:"failed"`
	Codes       map[string]int `json:"failure_codes,omitempty"`
	FirstError  string         `json:"first_error,omitempty"`
	// HandshakeElapsed runs from the first worker's first dial to the last
	// worker's last auth_ok; HandshakeRate is Opened over it.
	HandshakeElapsed time.Duration `json:"handshake_elapsed_ns"`
	HandshakeRate    float64       `json:"handshakes_per_s"`
	Handshake        Latency       `json:"handshake_latency"`

	// AfterWait is IdleRun.AfterWait: how long the connections were held
	// before the "after" reading.
	AfterWait time.Duration `json:"after_wait_ns,omitempty"`

	RSSBefore *RSSReading `json:"rss_before,omitempty"`
	RSSAfter  *RSSReading `json:"rss_after,omitempty"`
	// PerConn is (mean RSS after − mean RSS before) / Opened, in bytes.
	PerConn float64 `json:"rss_per_conn_bytes,omitempty"`

	MetricsBefore map[string]float64 `json:"metrics_before,omitempty"`
	MetricsAfter  map[string]float64 `json:"metrics_after,omitempty"`
	// PerConnMetrics is (after − before) / Opened of the runtime metrics
	// that explain the RSS: heap and stack bytes in use, goroutines.
	PerConnMetrics map[string]float64 `json:"per_conn_metrics,omitempty"`
	// ServerActive is /readyz's tcp.active_connections (-1 when not asked).
	ServerActive int          `json:"server_active_connections"`
	Check        *CheckReport `json:"check,omitempty"`
}

type worker struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

// Run performs the run. Workers are always told to close and waited for.
func (r IdleRun) Run(ctx context.Context) (res IdleResult, err error) {
	res = IdleResult{Requested: r.Conns, Procs: r.Procs, Concurrency: r.Concurrency, ServerActive: -1, Codes: map[string]int{}, AfterWait: r.AfterWait}
	if r.ServerPID > 0 {
		before, err := SettledRSS(ctx, r.ServerPID, r.Settle.Window, r.Settle.Timeout, r.Settle.Gap, r.Settle.Tolerance)
		if err != nil {
			return res, fmt.Errorf("server RSS: %w", err)
		}
		res.RSSBefore = &before
	}
	if r.HTTPBase != "" {
		res.MetricsBefore, _ = ServerMetrics(ctx, r.HTTPBase)
	}

	workers, err := r.start()
	defer stopWorkers(workers)
	if err != nil {
		return res, err
	}
	reports, err := collect(workers, workerReady, r.ReadyTimeout, func() OpenReport { return OpenReport{} })
	if err != nil {
		return res, err
	}
	all := NewRecorder()
	var first, last int64
	for i, rep := range reports {
		res.Opened += rep.Opened
		res.Failed += rep.Failed
		for k, v := range rep.Codes {
			res.Codes[k] += v
		}
		if res.FirstError == "" {
			res.FirstError = rep.FirstError
		}
		for _, us := range rep.HandshakeUS {
			all.Add(time.Duration(us) * time.Microsecond)
		}
		if i == 0 || rep.StartNS < first {
			first = rep.StartNS
		}
		last = max(last, rep.EndNS)
	}
	res.Handshake = all.Summary()
	res.HandshakeElapsed = time.Duration(last - first)
	if res.HandshakeElapsed > 0 {
		res.HandshakeRate = float64(res.Opened) / res.HandshakeElapsed.Seconds()
	}

	if r.AfterWait > 0 {
		select {
		case <-time.After(r.AfterWait):
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	if r.ServerPID > 0 {
		after, err := SettledRSS(ctx, r.ServerPID, r.Settle.Window, r.Settle.Timeout, r.Settle.Gap, r.Settle.Tolerance)
		if err != nil {
			return res, fmt.Errorf("server RSS: %w", err)
		}
		res.RSSAfter = &after
		if res.Opened > 0 {
			res.PerConn = float64(after.Mean()-res.RSSBefore.Mean()) / float64(res.Opened)
		}
	}
	if r.HTTPBase != "" {
		res.MetricsAfter, _ = ServerMetrics(ctx, r.HTTPBase)
		res.PerConnMetrics = perConn(res.MetricsBefore, res.MetricsAfter, res.Opened)
		if n, err := ActiveConnections(ctx, r.HTTPBase); err == nil {
			res.ServerActive = n
		}
	}
	if r.Check {
		for _, w := range workers {
			fmt.Fprintln(w.in, cmdCheck)
		}
		checks, err := collect(workers, workerChecked, r.ReadyTimeout, func() CheckReport { return CheckReport{} })
		if err != nil {
			return res, err
		}
		var total CheckReport
		for _, c := range checks {
			total.Alive += c.Alive
			total.Dead += c.Dead
		}
		res.Check = &total
	}
	return res, nil
}

// start spawns the workers with an even share each.
func (r IdleRun) start() ([]*worker, error) {
	procs := max(r.Procs, 1)
	var workers []*worker
	offset := 0
	for i := range procs {
		count := r.Conns / procs
		if i < r.Conns%procs {
			count++
		}
		var src netip.Addr
		if len(r.Sources) > 0 {
			src = r.Sources[i%len(r.Sources)]
		}
		cmd := r.Spawn(i, offset, count, src)
		offset += count
		in, err := cmd.StdinPipe()
		if err != nil {
			return workers, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return workers, err
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return workers, fmt.Errorf("start worker %d: %w", i, err)
		}
		w := &worker{cmd: cmd, in: in, lines: make(chan string, 4)}
		go func() {
			defer close(w.lines)
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 64<<10), 64<<20) // READY carries every latency
			for sc.Scan() {
				w.lines <- sc.Text()
			}
		}()
		workers = append(workers, w)
	}
	return workers, nil
}

// collect waits for one line with prefix from every worker and decodes it.
func collect[T any](workers []*worker, prefix string, timeout time.Duration, zero func() T) ([]T, error) {
	out := make([]T, len(workers))
	errs := make([]error, len(workers))
	deadline := time.After(timeout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := make(chan struct{})
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for line := range w.lines {
				rest, ok := strings.CutPrefix(line, prefix)
				if !ok {
					continue
				}
				v := zero()
				err := json.Unmarshal([]byte(rest), &v)
				mu.Lock()
				out[i], errs[i] = v, err
				mu.Unlock()
				return
			}
			mu.Lock()
			errs[i] = fmt.Errorf("worker %d ended without %q", i, strings.TrimSpace(prefix))
			mu.Unlock()
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-deadline:
		return nil, fmt.Errorf("workers did not report %q within %s", strings.TrimSpace(prefix), timeout)
	}
	return out, errors.Join(errs...)
}

// stopWorkers tells every worker to close and waits for it, killing the
// ones that do not exit within a few seconds.
func stopWorkers(workers []*worker) {
	for _, w := range workers {
		fmt.Fprintln(w.in, cmdClose)
		w.in.Close()
	}
	for _, w := range workers {
		exited := make(chan struct{})
		go func() {
			for range w.lines {
			}
			w.cmd.Wait()
			close(exited)
		}()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			w.cmd.Process.Kill()
			<-exited
		}
	}
}

// perConnMetrics are the runtime metrics worth dividing by the connections.
var perConnMetrics = []string{"go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_goroutines"}

func perConn(before, after map[string]float64, opened int) map[string]float64 {
	if opened == 0 || before == nil || after == nil {
		return nil
	}
	out := map[string]float64{}
	for _, k := range perConnMetrics {
		b, ok1 := before[k]
		a, ok2 := after[k]
		if ok1 && ok2 {
			out[k] = (a - b) / float64(opened)
		}
	}
	return out
}

// WritePerConn writes the per-connection runtime figures, if measured.
func (r IdleResult) WritePerConn(w io.Writer) {
	m := r.PerConnMetrics
	if m == nil {
		return
	}
	fmt.Fprintf(w, "  per connection: heap %.0f B (%.2f KiB), stack %.0f B (%.2f KiB), %.3f goroutines\n",
		m["go_memstats_heap_inuse_bytes"], m["go_memstats_heap_inuse_bytes"]/1024,
		m["go_memstats_stack_inuse_bytes"], m["go_memstats_stack_inuse_bytes"]/1024, m["go_goroutines"])
}
