package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux configuration this tool runs on.
const clockTick = 10 * time.Millisecond

// RSS returns the resident set size (VmRSS) of process pid, in bytes.
func RSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS of %d: %w", pid, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS for process %d", pid)
}

// CPUTime returns the user plus system CPU time process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses; the fields after
	// the last ')' are fixed: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// RSSReading is a settled RSS measurement: two readings taken Gap apart
// once the RSS had stopped moving.
type RSSReading struct {
	First, Second int64         // bytes
	Settled       bool          // false: the timeout came first
	Waited        time.Duration // until it settled
}

// Mean is the mean of the two readings.
func (r RSSReading) Mean() int64 { return (r.First + r.Second) / 2 }

// SettledRSS waits until pid's RSS has stayed within tolerance bytes for
// window (polling every second), at most timeout, then reads it twice, gap
// apart. A server's garbage collector cannot be forced from outside, so
// waiting for the RSS to stop moving is the next best thing.
func SettledRSS(ctx context.Context, pid int, window, timeout, gap time.Duration, tolerance int64) (RSSReading, error) {
	var r RSSReading
	start := time.Now()
	lo, hi := int64(-1), int64(-1)
	stableSince := start
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		v, err := RSS(pid)
		if err != nil {
			return r, err
		}
		if lo < 0 || max(hi, v)-min(lo, v) > tolerance {
			lo, hi, stableSince = v, v, time.Now()
		} else {
			lo, hi = min(lo, v), max(hi, v)
		}
		if time.Since(stableSince) >= window {
			r.Settled = true
			break
		}
		if time.Since(start) >= timeout {
			break
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-tick.C:
		}
	}
	r.Waited = time.Since(start)
	var err error
	if r.First, err = RSS(pid); err != nil {
		return r, err
	}
	select {
	case <-ctx.Done():
		return r, ctx.Err()
	case <-time.After(gap):
	}
	r.Second, err = RSS(pid)
	return r, err
}

// SystemCPU returns the CPU time all cores spent busy and in all, from
// /proc/stat, so that a report can tell how much of the machine other
// processes took during a run.
func SystemCPU() (busy, total time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("malformed /proc/stat")
	}
	var sum, idle int64
	for i, f := range fields[1:] {
		if i >= 8 { // guest time is already counted in user time
			break
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed /proc/stat")
		}
		sum += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return time.Duration(sum-idle) * clockTick, time.Duration(sum) * clockTick, nil
}

// maxScannedProcs bounds a /proc scan.
const maxScannedProcs = 100_000

// MatchingCPU returns the CPU time used by every live process whose command
// line (/proc/<pid>/cmdline) contains substr, such as the backends of one
// PostgreSQL database ("postgres: postgres mh_perf 127.0.0.1(…) idle"),
// which do a search's database work outside the measured process.
// Processes that ended in between are not counted.
func MatchingCPU(substr string) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for i, e := range entries {
		if i == maxScannedProcs {
			break
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || pid == os.Getpid() || !strings.Contains(string(cmdline), substr) {
			continue
		}
		if t, err := CPUTime(pid); err == nil {
			total += t
		}
	}
	return total, nil
}
