package loadtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// HTTPRun is one closed-loop run of one route against one server: what the
// http command writes as JSON and the table command reads.
type HTTPRun struct {
	Server  string `json:"server"`  // e.g. "mangahub-sqlite", "reference"
	Catalog string `json:"catalog"` // e.g. "200 manga"
	Route   string `json:"route"`
	Result  Result `json:"result"`
	// ServerCPUPerReq is the server process's user+system CPU time over
	// the measured run divided by its requests (0 when not metered).
	ServerCPUPerReq time.Duration `json:"server_cpu_per_req_ns"`
	// ServerCPUShare is that CPU time over the run's wall time, in cores.
	ServerCPUShare float64 `json:"server_cores"`
	MeanBytes      float64 `json:"mean_response_bytes"`
}

// ReadHTTPRuns reads the JSON files of http runs.
func ReadHTTPRuns(paths []string) ([]HTTPRun, error) {
	var runs []HTTPRun
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r HTTPRun
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// WriteHTTPTable writes runs as a Markdown table, one row per catalog, route
// and server, each server other than reference followed by its ratios to
// the reference run of the same catalog and route: req/s over the
// reference's, and CPU per request over the reference's (issue 7's two
// criteria).
func WriteHTTPTable(w io.Writer, runs []HTTPRun, reference string) {
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b HTTPRun) int {
		return cmp.Or(cmp.Compare(a.Catalog, b.Catalog), cmp.Compare(routeOrder(a.Route), routeOrder(b.Route)),
			cmp.Compare(a.Route, b.Route), cmp.Compare(isRef(a.Server, reference), isRef(b.Server, reference)), cmp.Compare(a.Server, b.Server))
	})
	ref := func(r HTTPRun) *HTTPRun {
		for i := range runs {
			if runs[i].Server == reference && runs[i].Catalog == r.Catalog && runs[i].Route == r.Route {
				return &runs[i]
			}
		}
		return nil
	}
	fmt.Fprintln(w, "| catalog | route | server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | server cores | mean response bytes | req/s ÷ reference | CPU/req ÷ reference |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		rps, cpu := "", ""
		if b := ref(r); b != nil && r.Server != reference {
			if b.Result.RPS > 0 {
				rps = fmt.Sprintf("%.2f", r.Result.RPS/b.Result.RPS)
			}
			if b.ServerCPUPerReq > 0 {
				cpu = fmt.Sprintf("%.2f×", float64(r.ServerCPUPerReq)/float64(b.ServerCPUPerReq))
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.0f | %s | %s | %d | %.0f | %.2f | %.0f | %s | %s |\n",
			r.Catalog, routeLabel(r.Route), r.Server, r.Result.RPS, Millis(r.Result.Latency.P50), Millis(r.Result.Latency.P99),
			r.Result.Errors, float64(r.ServerCPUPerReq)/float64(time.Microsecond), r.ServerCPUShare, r.MeanBytes, rps, cpu)
	}
}

// isRef sorts the reference after the servers compared with it.
func isRef(server, reference string) int {
	if server == reference {
		return 1
	}
	return 0
}

func routeOrder(route string) int {
	switch route {
	case RouteMangaByID:
		return 0
	case RouteSearch:
		return 1
	case RouteProgress:
		return 2
	}
	return 3
}

func routeLabel(route string) string {
	switch route {
	case RouteMangaByID:
		return "`GET /api/manga/{id}`"
	case RouteSearch:
		return "`GET /api/manga?q=word`"
	case RouteProgress:
		return "`GET /api/progress`"
	}
	return strings.ReplaceAll(route, "|", "/")
}
