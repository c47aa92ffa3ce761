package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// Cluster is a throwaway PostgreSQL server of one test, on a free loopback
// port, for tests that stop and start the database (never the shared one).
type Cluster struct {
	Port int
	bin  string
	dir  string
}

// NewCluster reserves a port and a data directory for a PostgreSQL cluster
// that is initialised but not started. It skips (fails, when services are
// required) without PostgreSQL's server binaries. The cluster is stopped and
// removed when the test ends.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv(RequireServicesEnv) == "1" {
			tb.Fatal("testenv: no PostgreSQL server binaries under /usr/lib/postgresql")
		}
		tb.Skip("testenv: no PostgreSQL server binaries under /usr/lib/postgresql")
	}
	sort.Strings(bins)
	c := &Cluster{Port: freePort(tb), bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "mangahub-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir = dir
	// PostgreSQL refuses to run as root: the cluster belongs to postgres.
	c.run(tb, "chown", "postgres:postgres", dir)
	c.asPostgres(tb, filepath.Join(c.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	tb.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	return c
}

// URL is the cluster's maintenance database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start(tb testing.TB) {
	tb.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off", c.Port, c.dir)
	c.asPostgres(tb, filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start")
}

// Stop stops the server at once, as a crash would.
func (c *Cluster) Stop(tb testing.TB) {
	tb.Helper()
	c.asPostgres(tb, filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
}

func (c *Cluster) asPostgres(tb testing.TB, args ...string) {
	tb.Helper()
	c.run(tb, "runuser", append([]string{"-u", "postgres", "--"}, args...)...)
}

func (c *Cluster) run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		tb.Fatalf("testenv: %s %v: %v\n%s", name, args, err, out)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
