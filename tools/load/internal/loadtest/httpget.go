package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxResponseBody bounds what is read of one answer: a page of 20 manga
// is a few KiB.
const maxResponseBody = 1 << 20

// Routes the HTTP load command knows. Each request of a run is one of its
// paths, picked by client and sequence number, so that every server
// measured gets the same requests in the same order.
const (
	RouteMangaByID = "manga-by-id" // GET /api/manga/{id}
	RouteSearch    = "search"      // GET /api/manga?q=word
	RouteProgress  = "progress"    // GET /api/progress
)

// RoutePaths returns the request paths of route: one per manga ID, one per
// query, or the one library path.
func RoutePaths(route string, mangaIDs []int64, queries []string) ([]string, error) {
	var paths []string
	switch route {
	case RouteMangaByID:
		for _, id := range mangaIDs {
			paths = append(paths, "/api/manga/"+strconv.FormatInt(id, 10))
		}
	case RouteSearch:
		for _, q := range queries {
			paths = append(paths, "/api/manga?q="+url.QueryEscape(q))
		}
	case RouteProgress:
		paths = []string{"/api/progress"}
	default:
		return nil, fmt.Errorf("unknown route %q (want %s, %s or %s)", route, RouteMangaByID, RouteSearch, RouteProgress)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("route %s: nothing to request", route)
	}
	return paths, nil
}

// HTTPGet issues GETs of a fixed set of paths with a bearer token over
// persistent connections, one per client, and counts the body bytes of
// each path, so that two servers can be shown to have answered with the
// same payloads.
type HTTPGet struct {
	client  *http.Client
	base    string
	auth    string
	paths   []string
	clients int

	// bodies[i] and bytes[i] count the answers to paths[i].
	bodies, bytes []atomic.Int64
}

// NewHTTPGet returns a driver for the API at base (http://host:port).
func NewHTTPGet(base, token string, clients int, paths []string) *HTTPGet {
	tr := &http.Transport{
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		IdleConnTimeout:     time.Minute,
		// The body bytes compared are the JSON, not a compressed form.
		DisableCompression: true,
	}
	return &HTTPGet{
		client:  &http.Client{Transport: tr, Timeout: 30 * time.Second},
		base:    strings.TrimRight(base, "/"),
		auth:    "Bearer " + token,
		paths:   paths,
		clients: max(clients, 1),
		bodies:  make([]atomic.Int64, len(paths)),
		bytes:   make([]atomic.Int64, len(paths)),
	}
}

// Op is the closed-loop operation: one GET, its body read to the end. Only
// a 200 with a body counts as a success.
func (h *HTTPGet) Op(ctx context.Context, client, seq int) error {
	// Clients start evenly spread over the paths, so that even a short
	// run of a slow server requests every path.
	i := (client*len(h.paths)/h.clients + seq) % len(h.paths)
	path := h.paths[i]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", h.auth)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	if n == 0 {
		return fmt.Errorf("GET %s: empty body", path)
	}
	h.bodies[i].Add(1)
	h.bytes[i].Add(n)
	return nil
}

// MeanBytes is the mean body size of the successful answers since the last
// ResetBytes, each path weighted the same: how often a client got to each
// path depends on the server's speed, and the figure must not, so that two
// servers that answer each path with the same bytes report the same mean.
func (h *HTTPGet) MeanBytes() float64 {
	var sum float64
	paths := 0
	for i := range h.paths {
		if n := h.bodies[i].Load(); n > 0 {
			sum += float64(h.bytes[i].Load()) / float64(n)
			paths++
		}
	}
	if paths == 0 {
		return 0
	}
	return sum / float64(paths)
}

// ResetBytes forgets the answers counted so far (the warm-up's).
func (h *HTTPGet) ResetBytes() {
	for i := range h.paths {
		h.bodies[i].Store(0)
		h.bytes[i].Store(0)
	}
}

// Close drops the idle connections.
func (h *HTTPGet) Close() { h.client.CloseIdleConnections() }
