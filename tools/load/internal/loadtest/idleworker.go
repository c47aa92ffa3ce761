package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Lines of the coordinator ↔ worker conversation: the worker prints
// "READY {OpenReport}" once its connections are open and, for every "check"
// line on its input, "CHECKED {CheckReport}". It closes its connections and
// exits on "close", at the end of its input, or after hold.
const (
	workerReady   = "READY "
	workerChecked = "CHECKED "
	cmdCheck      = "check"
	cmdClose      = "close"
)

// RunIdleWorker is one process of an idle-capacity run, driven through in and
// out by the coordinator (RunIdle).
func RunIdleWorker(ctx context.Context, h *IdleHolder, in io.Reader, out io.Writer, hold time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, hold)
	defer cancel()
	defer h.Close()
	if err := writeLine(out, workerReady, h.Open(ctx)); err != nil {
		return err
	}
	cmds := make(chan string)
	go func() {
		defer close(cmds)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			cmds <- strings.TrimSpace(sc.Text())
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case cmd, ok := <-cmds:
			switch {
			case !ok || cmd == cmdClose:
				return nil
			case cmd == cmdCheck:
				if err := writeLine(out, workerChecked, h.Check(ctx)); err != nil {
					return err
				}
			}
		}
	}
}

func writeLine(w io.Writer, prefix string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", prefix, b)
	return err
}
