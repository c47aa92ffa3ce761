package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mangahub/mangahub/tools/load/internal/wire"
)

// maxSources bounds a source-address list.
const maxSources = 256

// ParseSources reads source addresses for the client side of a run:
// "127.0.0.2,127.0.0.3" or a range "127.0.0.2-127.0.0.5". Only loopback
// addresses are accepted: the tools are for 127.0.0.0/8. Empty means the
// system's choice.
func ParseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return nil, fmt.Errorf("source address %q: %w", part, err)
		}
		b := a
		if isRange {
			if b, err = netip.ParseAddr(strings.TrimSpace(to)); err != nil {
				return nil, fmt.Errorf("source address %q: %w", part, err)
			}
		}
		if !a.Is4() || !b.Is4() || b.Less(a) {
			return nil, fmt.Errorf("source range %q: want IPv4 first-last", part)
		}
		for x := a; ; x = x.Next() {
			if !x.IsLoopback() {
				return nil, fmt.Errorf("source address %s is not loopback", x)
			}
			if len(out) == maxSources {
				return nil, fmt.Errorf("more than %d source addresses", maxSources)
			}
			out = append(out, x)
			if x == b {
				break
			}
		}
	}
	return out, nil
}

// CheckLoopback refuses a target that is not on 127.0.0.0/8 (or ::1), so
// that a typo cannot point a load run at another machine.
func CheckLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address; the load tools only run against 127.0.0.0/8", hostport)
	}
	return nil
}

// ListenLoopback listens on addr, which must be on loopback (CheckLoopback):
// the baseline servers the tools start never face another machine.
func ListenLoopback(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	return net.Listen("tcp", addr)
}

// DialAuth connects from src (the zero Addr: any) to addr, reads the
// greeting, authenticates with token and waits for auth_ok, all within
// timeout. A refusal is a *wire.ServerError carrying the server's code.
func DialAuth(ctx context.Context, addr string, src netip.Addr, token string, timeout time.Duration) (*wire.LineClient, error) {
	d := net.Dialer{Timeout: timeout}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	lc := wire.NewLineClient(c)
	if err := lc.Authenticate(token, timeout); err != nil {
		c.Close()
		return nil, err
	}
	return lc, nil
}
