package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// RedisServer is a redis-server of one test, on a free loopback port, for
// tests that stop and start Redis or change its settings (never the shared
// one). It keeps an append-only file, fsynced on every write, so that a
// stop and start loses nothing, as a production Redis with AOF would not.
type RedisServer struct {
	Port int
	log  Buffer // what the server printed, shown when the test fails
	dir  string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// NewRedis starts a redis-server with extra (e.g. "--maxmemory", "2mb")
// added to its arguments. It skips (fails, when services are required)
// without redis-server. The server is stopped when the test ends.
func NewRedis(tb testing.TB, extra ...string) *RedisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireServicesEnv) == "1" {
			tb.Fatal("testenv: redis-server is not installed")
		}
		tb.Skip("testenv: redis-server is not installed")
	}
	r := &RedisServer{Port: freePort(tb), dir: tb.TempDir()}
	r.args = append([]string{bin, "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--loglevel", "warning"}, extra...)
	r.Start(tb)
	tb.Cleanup(func() {
		r.kill()
		if tb.Failed() {
			tb.Logf("redis-server on port %d printed:\n%s", r.Port, r.log.String())
		}
	})
	return r
}

// URL is the server's database 0.
func (r *RedisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Start starts the server (again) and waits until it answers.
func (r *RedisServer) Start(tb testing.TB) {
	tb.Helper()
	r.cmd = exec.Command(r.args[0], r.args[1:]...)
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	if err := r.cmd.Start(); err != nil {
		tb.Fatalf("testenv: start redis-server: %v", err)
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(r.cmd, r.done)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := r.ping(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testenv: redis-server on port %d does not answer", r.Port)
		}
		select {
		case <-r.done:
			tb.Fatalf("testenv: redis-server on port %d exited at start", r.Port)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop stops the server with SIGTERM (Redis writes its AOF and exits) and
// waits until it is gone.
func (r *RedisServer) Stop(tb testing.TB) {
	tb.Helper()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		tb.Fatalf("testenv: redis-server on port %d did not stop", r.Port)
	}
	r.cmd = nil
}

func (r *RedisServer) kill() {
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		<-r.done
		r.cmd = nil
	}
	_ = os.RemoveAll(filepath.Join(r.dir, "appendonlydir"))
}

// ping sends a PING in the inline protocol.
func (r *RedisServer) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(r.Port))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return fmt.Errorf("unexpected answer %q", buf[:n])
	}
	return nil
}
