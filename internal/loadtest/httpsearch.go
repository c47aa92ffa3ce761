package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxSearchBody bounds what is read of one answer: a page of 20 manga is a
// few KiB.
const maxSearchBody = 1 << 20

// HTTPSearch issues GET /api/manga?q=… with a bearer token.
type HTTPSearch struct {
	client  *http.Client
	base    string
	auth    string
	queries []string
}

// NewHTTPSearch returns a driver for the API at base (http://host:port) that
// keeps one persistent connection per client.
func NewHTTPSearch(base, token string, clients int, queries []string) *HTTPSearch {
	tr := &http.Transport{
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &HTTPSearch{
		client:  &http.Client{Transport: tr, Timeout: 30 * time.Second},
		base:    strings.TrimRight(base, "/"),
		auth:    "Bearer " + token,
		queries: queries,
	}
}

// Op is the closed-loop operation: one search, its body read to the end.
func (h *HTTPSearch) Op(ctx context.Context, client, seq int) error {
	q := queryFor(h.queries, client, seq)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/api/manga?q="+url.QueryEscape(q), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", h.auth)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxSearchBody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/manga: status %d", resp.StatusCode)
	}
	if n == 0 {
		return fmt.Errorf("GET /api/manga: empty body")
	}
	return nil
}

// Close drops the idle connections.
func (h *HTTPSearch) Close() { h.client.CloseIdleConnections() }
