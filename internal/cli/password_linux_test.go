package cli_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/mangahub/mangahub/internal/cli"
	"github.com/mangahub/mangahub/internal/testenv"
)

// openPTY opens a pseudo-terminal: the master end (the keyboard and screen)
// and the terminal end a command reads as its standard input.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	// Non-blocking, so that reading the screen can time out.
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("ptsname: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// echoOff reports whether the terminal no longer echoes what is typed.
func echoOff(t *testing.T, tty *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatalf("tcgetattr: %v", e)
	}
	return tio.Lflag&syscall.ECHO == 0
}

// Typed on a terminal, the password is read without echo: register asks
// twice, login once, and what the terminal shows never contains it.
func TestPasswordFromTerminal(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	u := newUser(t, ts)
	const password = "typed secret 42"
	for _, tc := range []struct {
		args    []string
		prompts []string
		want    string
	}{
		{[]string{"register", "--username", "faye", "--email", "faye@example.com"}, []string{"Password: ", "Password (again): "}, "registered faye"},
		{[]string{"login", "--username", "faye"}, []string{"Password: "}, "logged in to " + ts.URL + " as faye"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			master, tty := openPTY(t)
			stdout, stderr := newLines(), newLines()
			code := make(chan int, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				code <- cli.Run(ctx, cli.Env{
					Args: tc.args, Getenv: func(k string) string { return u.env[k] },
					Stdin: tty, Stdout: stdout, Stderr: stderr, ConfigDir: u.configDir,
				})
			}()
			for _, prompt := range tc.prompts {
				// Type only once the prompt is out and echo is off, as a
				// person would; typing earlier would be echoed by the
				// terminal before the command could stop it.
				testenv.Eventually(t, 10*time.Second, "prompt "+strconv.Quote(prompt), func() bool {
					return strings.Contains(stderr.String(), prompt) && echoOff(t, tty)
				})
				if _, err := master.WriteString(password + "\r"); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case c := <-code:
				if c != 0 || !strings.Contains(stdout.String(), tc.want) {
					t.Fatalf("exit %d, stdout %q, stderr %q", c, stdout.String(), stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the command did not finish")
			}
			if echoOff(t, tty) {
				t.Fatal("the terminal was left without echo")
			}
			// Whatever the terminal displayed is waiting on the master.
			if err := master.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
				t.Fatalf("cannot read the terminal without blocking: %v", err)
			}
			buf := make([]byte, 4096)
			n, _ := master.Read(buf)
			if strings.Contains(string(buf[:n]), "secret") {
				t.Fatalf("the terminal echoed the password: %q", buf[:n])
			}
		})
	}
}
