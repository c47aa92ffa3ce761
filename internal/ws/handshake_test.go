package ws_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mangahub/mangahub/internal/hub/hubtest"
	"github.com/mangahub/mangahub/internal/ws"
)

// TestHandshake: the opening handshake is answered by RFC 6455's rules,
// and browser pages from other origins are refused unless allowed.
func TestHandshake(t *testing.T) {
	env := hubtest.New(t, hubtest.Options{})
	h := ws.NewHandler(env.Hub, ws.Config{OriginPatterns: []string{"*.trusted.test", "https://exact.test"}}, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	upgrade := func(mod func(http.Header)) http.Header {
		h := http.Header{
			"Connection":            {"keep-alive, Upgrade"},
			"Upgrade":               {"websocket"},
			"Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
		}
		if mod != nil {
			mod(h)
		}
		return h
	}
	tests := []struct {
		name   string
		method string
		header http.Header
		want   int
		// wantHeader must be in the response, when set: name and value.
		wantHeader [2]string
	}{
		{"upgrade", http.MethodGet, upgrade(nil), http.StatusSwitchingProtocols,
			// RFC 6455 §1.3's own example.
			[2]string{"Sec-Websocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}},
		{"plain GET", http.MethodGet, http.Header{}, http.StatusUpgradeRequired, [2]string{"Upgrade", "websocket"}},
		{"not GET", http.MethodPost, upgrade(nil), http.StatusMethodNotAllowed, [2]string{}},
		{"other version", http.MethodGet, upgrade(func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }),
			http.StatusBadRequest, [2]string{"Sec-Websocket-Version", "13"}},
		{"bad key", http.MethodGet, upgrade(func(h http.Header) { h.Set("Sec-Websocket-Key", "c2hvcnQ=") }),
			http.StatusBadRequest, [2]string{}},
		{"two keys", http.MethodGet, upgrade(func(h http.Header) { h.Add("Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==") }),
			http.StatusBadRequest, [2]string{}},
		{"same origin", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "http://"+host) }),
			http.StatusSwitchingProtocols, [2]string{}},
		{"other origin", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "http://evil.test") }),
			http.StatusForbidden, [2]string{}},
		{"origin allowed by host pattern", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "https://App.Trusted.test") }),
			http.StatusSwitchingProtocols, [2]string{}},
		{"origin allowed by scheme and host", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "https://exact.test") }),
			http.StatusSwitchingProtocols, [2]string{}},
		{"pattern's scheme differs", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "http://exact.test") }),
			http.StatusForbidden, [2]string{}},
		{"origin without a host", http.MethodGet, upgrade(func(h http.Header) { h.Set("Origin", "null") }),
			http.StatusForbidden, [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tt.header
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.want)
			}
			if name := tt.wantHeader[0]; name != "" && resp.Header.Get(name) != tt.wantHeader[1] {
				t.Fatalf("%s: %q, want %q", name, resp.Header.Get(name), tt.wantHeader[1])
			}
			if resp.StatusCode == http.StatusSwitchingProtocols && resp.Header.Get("Sec-Websocket-Extensions") != "" {
				t.Fatalf("extensions negotiated: %q", resp.Header.Get("Sec-Websocket-Extensions"))
			}
		})
	}
}
