package loadtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
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
	// DBCPUPerReq is the same for the database's processes (PostgreSQL's
	// backends), which do part of the server's work outside its process.
	DBCPUPerReq time.Duration `json:"db_cpu_per_req_ns,omitempty"`
	MeanBytes   float64       `json:"mean_response_bytes"`
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

// httpRuns are the runs of a table, sorted, with their references.
type httpRuns struct {
	runs      []HTTPRun
	reference string
}

// newHTTPRuns sorts runs by catalog size, route, then server, the
// references of each route last.
func newHTTPRuns(runs []HTTPRun, reference string) httpRuns {
	t := httpRuns{runs: slices.Clone(runs), reference: reference}
	slices.SortStableFunc(t.runs, func(a, b HTTPRun) int {
		return cmp.Or(cmp.Compare(catalogSize(a.Catalog), catalogSize(b.Catalog)), cmp.Compare(a.Catalog, b.Catalog),
			cmp.Compare(routeOrder(a.Route), routeOrder(b.Route)), cmp.Compare(a.Route, b.Route),
			cmp.Compare(t.isRef(a.Server), t.isRef(b.Server)), cmp.Compare(a.Server, b.Server))
	})
	return t
}

func (t httpRuns) isRef(server string) int {
	if server == t.reference || strings.HasPrefix(server, t.reference+"-") {
		return 1
	}
	return 0
}

func (t httpRuns) find(server, catalog, route string) *HTTPRun {
	for i := range t.runs {
		if r := &t.runs[i]; r.Server == server && r.Catalog == catalog && r.Route == route {
			return r
		}
	}
	return nil
}

// refOf is the reference run r is compared with: "<reference>-sqlite" for
// server "mangahub-sqlite" when there is one (filled from that server, so
// that the payloads are the same bytes), else "<reference>"; nil for a
// reference itself or when there is none.
func (t httpRuns) refOf(r HTTPRun) *HTTPRun {
	if t.isRef(r.Server) == 1 {
		return nil
	}
	if _, suffix, ok := strings.Cut(r.Server, "-"); ok {
		if b := t.find(t.reference+"-"+suffix, r.Catalog, r.Route); b != nil {
			return b
		}
	}
	return t.find(t.reference, r.Catalog, r.Route)
}

// ratios are issue 7's two criteria: req/s over the reference's, and CPU
// per request (the server's plus its database's) over the reference's;
// empty when they cannot be computed.
func ratios(r, b HTTPRun) (rps, cpu string) {
	if b.Result.RPS > 0 {
		rps = fmt.Sprintf("%.2f", r.Result.RPS/b.Result.RPS)
	}
	if ref := b.ServerCPUPerReq + b.DBCPUPerReq; ref > 0 {
		cpu = fmt.Sprintf("%.2f×", float64(r.ServerCPUPerReq+r.DBCPUPerReq)/float64(ref))
	}
	return rps, cpu
}

// WriteHTTPTable writes runs as a Markdown table, one row per catalog, route
// and server, each server followed by its ratios to its reference run of
// the same catalog and route (see refOf and ratios).
func WriteHTTPTable(w io.Writer, runs []HTTPRun, reference string) {
	t := newHTTPRuns(runs, reference)
	fmt.Fprintln(w, "| catalog | route | server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | server cores | database CPU µs/req | mean response bytes | req/s ÷ reference | CPU/req ÷ reference |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range t.runs {
		rps, cpu := "", ""
		if b := t.refOf(r); b != nil {
			rps, cpu = ratios(r, *b)
		}
		db := ""
		if r.DBCPUPerReq > 0 {
			db = fmt.Sprintf("%.0f", micros(r.DBCPUPerReq))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.0f | %s | %s | %d | %.0f | %.2f | %s | %.0f | %s | %s |\n",
			r.Catalog, routeLabel(r.Route), r.Server, r.Result.RPS, Millis(r.Result.Latency.P50), Millis(r.Result.Latency.P99),
			r.Result.Errors, micros(r.ServerCPUPerReq), r.ServerCPUShare, db, r.MeanBytes, rps, cpu)
	}
}

// WriteHTTPSummary writes issue 7's table: one row per server compared with
// a reference, its req/s beside the reference's, the two ratios, its p99,
// and the mean response bytes of both (equal when they did the same work).
func WriteHTTPSummary(w io.Writer, runs []HTTPRun, reference string) {
	t := newHTTPRuns(runs, reference)
	fmt.Fprintln(w, "| catalog | route | server | req/s | reference req/s | ratio | server CPU per request ÷ reference | p99 ms | mean bytes (server / reference) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range t.runs {
		b := t.refOf(r)
		if b == nil {
			continue
		}
		rps, cpu := ratios(r, *b)
		fmt.Fprintf(w, "| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %.0f / %.0f |\n",
			r.Catalog, routeLabel(r.Route), r.Server, r.Result.RPS, b.Result.RPS, rps, cpu,
			Millis(r.Result.Latency.P99), r.MeanBytes, b.MeanBytes)
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// catalogSize is the number a catalog label starts with ("20,005 manga"),
// so that catalogs sort by size; 0 when there is none.
func catalogSize(label string) int {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, strings.Split(strings.ReplaceAll(label, ",", ""), " ")[0])
	n, _ := strconv.Atoi(digits)
	return n
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
