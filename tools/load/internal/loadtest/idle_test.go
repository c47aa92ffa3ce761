package loadtest

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/baseline"
)

func startBaseline(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); baseline.New().Serve(ln) }()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestIdleWorkerConversation(t *testing.T) {
	addr := startBaseline(t)
	h := &IdleHolder{Addr: addr, Tokens: []string{"t1", "t2"}, Count: 12, Concurrency: 3, Timeout: 5 * time.Second}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunIdleWorker(t.Context(), h, inR, outW, time.Minute)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	lines.Buffer(make([]byte, 1<<16), 1<<20)
	next := func(prefix string, v any) {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("worker output ended before %q: %v", prefix, lines.Err())
		}
		rest, ok := strings.CutPrefix(lines.Text(), prefix)
		if !ok {
			t.Fatalf("worker said %q, want %q…", lines.Text(), prefix)
		}
		if err := json.Unmarshal([]byte(rest), v); err != nil {
			t.Fatal(err)
		}
	}

	var open OpenReport
	next(workerReady, &open)
	if open.Opened != 12 || open.Failed != 0 || len(open.HandshakeUS) != 12 || open.EndNS < open.StartNS {
		t.Errorf("open report = %+v, want 12 opened", open)
	}
	io.WriteString(inW, "check\n")
	var check CheckReport
	next(workerChecked, &check)
	if check != (CheckReport{Alive: 12}) {
		t.Errorf("check = %+v, want 12 alive", check)
	}
	io.WriteString(inW, "close\n")
	if err := <-done; err != nil {
		t.Errorf("worker: %v", err)
	}
}

func TestIdleHolderCountsRefusals(t *testing.T) {
	// A listener that greets and then hangs up: every handshake fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(`{"type":"auth_required","protocol":1}` + "\n" +
				`{"type":"error","code":"too_many_connections","message":"x"}` + "\n"))
			c.Close()
		}
	}()
	h := &IdleHolder{Addr: ln.Addr().String(), Tokens: []string{"t"}, Count: 5, Concurrency: 2, Timeout: 5 * time.Second}
	rep := h.Open(t.Context())
	defer h.Close()
	if rep.Opened != 0 || rep.Failed != 5 || rep.Codes["too_many_connections"] != 5 {
		t.Errorf("report = %+v, want 5 failures coded too_many_connections", rep)
	}
}
