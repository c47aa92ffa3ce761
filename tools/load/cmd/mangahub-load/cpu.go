package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/loadtest"
)

// cpuMeter reports the CPU time processes used during a run.
type cpuMeter struct {
	start      time.Time
	procs      []cpuProc
	busy, all  time.Duration // machine-wide, at start
	haveSystem bool
}

type cpuProc struct {
	label  string
	pid    int    // or
	comm   string // every process whose command line contains this
	before time.Duration
}

func (p cpuProc) cpu() (time.Duration, error) {
	if p.comm != "" {
		return loadtest.MatchingCPU(p.comm)
	}
	return loadtest.CPUTime(p.pid)
}

// startCPU starts metering the processes (label, pid); a zero pid is skipped.
func startCPU(procs ...cpuProc) *cpuMeter {
	m := &cpuMeter{start: time.Now()}
	var err error
	m.busy, m.all, err = loadtest.SystemCPU()
	m.haveSystem = err == nil
	for _, p := range procs {
		if p.pid <= 0 && p.comm == "" {
			continue
		}
		if t, err := p.cpu(); err == nil {
			p.before = t
			m.procs = append(m.procs, p)
		}
	}
	return m
}

// report prints each process's CPU time, per request when requests > 0,
// and how busy the whole machine was.
func (m *cpuMeter) report(w io.Writer, requests int) {
	elapsed := time.Since(m.start)
	var ours time.Duration
	for _, p := range m.procs {
		t, err := p.cpu()
		if err != nil {
			continue
		}
		used := t - p.before
		ours += used
		fmt.Fprintf(w, "  %s CPU: %s (%.0f%% of one core)", p.label, used.Round(10*time.Millisecond), 100*used.Seconds()/elapsed.Seconds())
		if requests > 0 {
			fmt.Fprintf(w, ", %.1f µs per request", float64(used.Microseconds())/float64(requests))
		}
		fmt.Fprintln(w)
	}
	if busy, all, err := loadtest.SystemCPU(); err == nil && m.haveSystem && all > m.all {
		b, a := busy-m.busy, all-m.all
		fmt.Fprintf(w, "  machine: %.0f%% busy over all cores; processes other than the measured ones: about %.0f%% of one core\n",
			100*b.Seconds()/a.Seconds(), 100*max(b-ours, 0).Seconds()/elapsed.Seconds())
	}
}
