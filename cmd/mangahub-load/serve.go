package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/mangahub/mangahub/internal/config"
	"github.com/mangahub/mangahub/internal/server"
)

// serve runs the real composition root, exactly as `mangahub serve` does,
// with a CPU profile around it: the server itself has no pprof endpoint.
func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	profile := fs.String("cpuprofile", "", "write a CPU profile here")
	blockProfile := fs.String("blockprofile", "", "also write a block profile (where goroutines waited) of the same window here")
	allocProfile := fs.String("allocprofile", "", "also write the allocations profile (since start) at the end of the window here")
	delay := fs.Duration("profile-delay", 0, "start profiling after this long")
	length := fs.Duration("profile-for", 30*time.Second, "profile for this long (at most 10m)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *length <= 0 || *length > 10*time.Minute {
		return fmt.Errorf("-profile-for must be in (0, 10m]")
	}
	cfg, err := config.Load(os.Getenv, nil)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, server.NewLogger(cfg, os.Stderr), "load-harness")
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		profiled := make(chan struct{})
		defer func() { <-profiled }() // the profile is complete before f closes
		go func() {
			defer close(profiled)
			select {
			case <-ctx.Done():
				return
			case <-time.After(*delay):
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "cpu profile:", err)
				return
			}
			if *blockProfile != "" {
				runtime.SetBlockProfileRate(int(10 * time.Microsecond))
			}
			fmt.Fprintln(os.Stderr, "cpu profile started")
			select {
			case <-ctx.Done():
			case <-time.After(*length):
			}
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "cpu profile written to", *profile)
			if *blockProfile != "" {
				runtime.SetBlockProfileRate(0)
				if err := writeProfile("block", *blockProfile); err != nil {
					fmt.Fprintln(os.Stderr, "block profile:", err)
				}
			}
			if *allocProfile != "" {
				if err := writeProfile("allocs", *allocProfile); err != nil {
					fmt.Fprintln(os.Stderr, "allocs profile:", err)
				}
			}
		}()
	}
	return srv.Run(ctx)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
