package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mangahub/mangahub/internal/client"
	"github.com/mangahub/mangahub/internal/protocol"
)

// defaultTCPPort is the sync server's port when --tcp is not given
// (MANGAHUB_TCP_ADDR's default).
const defaultTCPPort = "8081"

// titleTimeout bounds looking up a manga's title for a line of sync watch.
const titleTimeout = 2 * time.Second

func (a *app) syncCommand() *cobra.Command {
	var o clientOptions
	return a.clientCommand(a.group("sync", "Live changes over the TCP sync connection", a.syncWatchCommand(&o)), &o)
}

func (a *app) syncWatchCommand(o *clientOptions) *cobra.Command {
	var tcpAddr string
	c := &cobra.Command{
		Use:   "watch [--tcp HOST:PORT]",
		Short: "Print every change to your library as it happens, until interrupted",
		Long: `Open the TCP sync connection, authenticate, and print every change pushed to
you (progress_broadcast and progress_deleted), one line each, until
interrupted. When the server goes away, it reconnects by itself, waiting
longer after each failed attempt (up to 10 s), and authenticates again with a
refreshed token when needed. With --json, each line is the server's message
as a JSON object, and nothing else is printed.`,
		Args:                  positional(),
		DisableFlagsInUseLine: true,
		RunE: a.clientRun(func(cmd *cobra.Command, _ []string) error {
			if tcpAddr != "" {
				if _, _, err := net.SplitHostPort(tcpAddr); err != nil {
					return usageError("--tcp %q is not HOST:PORT", tcpAddr)
				}
			}
			s, err := a.session(o)
			if err != nil {
				return err
			}
			addr := tcpAddr
			if addr == "" {
				addr = defaultSyncAddr(s.BaseURL())
			}
			w := &watchPrinter{out: a.env.Stdout, json: o.json, c: s.Client, titles: map[int64]string{}}
			return s.Watch(cmd.Context(), addr, client.WatchOptions{
				OnPush: func(p client.Push) { w.push(cmd.Context(), p) },
				OnState: func(state string, err error) {
					w.state(state, addr, s.creds.Username, err)
				},
			})
		}),
	}
	c.Flags().StringVar(&tcpAddr, "tcp", "", "sync server address (default: the --server host, port "+defaultTCPPort+")")
	return c
}

// defaultSyncAddr is the --server URL's host with the sync port.
func defaultSyncAddr(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return net.JoinHostPort("localhost", defaultTCPPort)
	}
	return net.JoinHostPort(u.Hostname(), defaultTCPPort)
}

// watchPrinter prints what sync watch sees. Watch calls it from one
// goroutine at a time.
type watchPrinter struct {
	out    io.Writer
	json   bool
	c      *client.Client
	titles map[int64]string
	// lastDown is the last disconnection reported: while reconnecting
	// fails the same way, it is not repeated every attempt.
	lastDown string
}

func (w *watchPrinter) push(ctx context.Context, p client.Push) {
	if w.json {
		fmt.Fprintf(w.out, "%s\n", p.Raw)
		return
	}
	now := time.Now().Format("15:04:05")
	switch p.Type {
	case protocol.TypeProgressBroadcast:
		if p.Progress == nil {
			return
		}
		pr := p.Progress
		fmt.Fprintf(w.out, "%s  updated  %s  chapter %d  %s  version %d  (from %s)\n",
			now, mangaLabel(pr.MangaID, w.title(ctx, pr.MangaID)), pr.Chapter, pr.Status, pr.Version, p.Source)
	case protocol.TypeProgressDeleted:
		fmt.Fprintf(w.out, "%s  removed  %s  version %d\n", now, mangaLabel(p.MangaID, w.title(ctx, p.MangaID)), p.Version)
	}
}

// title looks a manga's title up once; a failed look-up is not retried for
// that manga, so a slow catalog cannot slow every line.
func (w *watchPrinter) title(ctx context.Context, id int64) string {
	if t, ok := w.titles[id]; ok {
		return t
	}
	ctx, cancel := context.WithTimeout(ctx, titleTimeout)
	defer cancel()
	m, err := w.c.Manga(ctx, id)
	t := ""
	if err == nil {
		t = m.Title
	}
	w.titles[id] = t
	return t
}

func (w *watchPrinter) state(state, addr, username string, err error) {
	if w.json {
		return
	}
	now := time.Now().Format("15:04:05")
	switch state {
	case "connected":
		w.lastDown = ""
		fmt.Fprintf(w.out, "%s  connected to %s as %s\n", now, addr, username)
	case "disconnected":
		why := disconnectReason(err)
		if why == w.lastDown {
			return
		}
		w.lastDown = why
		fmt.Fprintf(w.out, "%s  disconnected: %s (retrying)\n", now, why)
	}
}

func disconnectReason(err error) string {
	switch {
	case err == nil:
		return "connection closed"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "the server closed the connection"
	}
	msg := clientMessage(err)
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "read tcp") {
		msg = msg[i+2:] // "read tcp a->b: connection reset by peer"
	}
	return msg
}
