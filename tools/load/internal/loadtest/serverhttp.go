package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxOpsBody bounds what is read of /readyz, /metrics or a catalog page.
const maxOpsBody = 8 << 20

// watchedMetrics are the server's runtime figures that explain its RSS.
var watchedMetrics = []string{
	"go_goroutines",
	"go_memstats_heap_inuse_bytes",
	"go_memstats_stack_inuse_bytes",
	"go_memstats_sys_bytes",
	"mangahub_tcp_active_connections",
}

func getBody(ctx context.Context, url, token string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxOpsBody))
	return b, resp.StatusCode, err
}

// ServerMetrics reads the watched runtime metrics from base/metrics.
func ServerMetrics(ctx context.Context, base string) (map[string]float64, error) {
	b, status, err := getBody(ctx, strings.TrimRight(base, "/")+"/metrics", "")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("/metrics: status %d", status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		for _, w := range watchedMetrics {
			if name == w {
				if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
					out[name] = v
				}
			}
		}
	}
	return out, sc.Err()
}

// ActiveConnections reads tcp.active_connections from base/readyz.
func ActiveConnections(ctx context.Context, base string) (int, error) {
	b, _, err := getBody(ctx, strings.TrimRight(base, "/")+"/readyz", "")
	if err != nil {
		return 0, err
	}
	var r struct {
		Components struct {
			TCP *struct {
				Active int `json:"active_connections"`
			} `json:"tcp"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("/readyz: %w", err)
	}
	if r.Components.TCP == nil {
		return 0, fmt.Errorf("/readyz has no tcp component")
	}
	return r.Components.TCP.Active, nil
}

// OpenEndedManga returns up to limit IDs of manga without a known chapter
// count, so that any chapter number is valid for them.
func OpenEndedManga(ctx context.Context, base, token string, limit int) ([]int64, error) {
	var ids []int64
	for offset := 0; offset < 10_000 && len(ids) < limit; offset += 100 {
		b, status, err := getBody(ctx, fmt.Sprintf("%s/api/manga?limit=100&offset=%d", strings.TrimRight(base, "/"), offset), token)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET /api/manga: status %d", status)
		}
		var page struct {
			Items []struct {
				ID            int64 `json:"id"`
				TotalChapters *int  `json:"total_chapters"`
			} `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("GET /api/manga: %w", err)
		}
		for _, m := range page.Items {
			if m.TotalChapters == nil && len(ids) < limit {
				ids = append(ids, m.ID)
			}
		}
		if len(page.Items) < 100 {
			break
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the catalog has no manga without total_chapters")
	}
	return ids, nil
}
