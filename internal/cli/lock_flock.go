//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait bounds how long a command waits for another one's refresh: one
// HTTP round trip, normally, but a hung process must not hang the next.
const lockWait = time.Minute

// lockDir takes an exclusive flock on the directory dir. The kernel
// releases it when the process ends, so a crash never leaves it behind.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock the credentials: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	wait := 5 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock the credentials: %w", err)
		}
		// Non-blocking attempts, so that waiting ends with ctx (a blocked
		// flock cannot be interrupted).
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, errors.New("the credentials are locked by another mangahub process")
			}
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}
