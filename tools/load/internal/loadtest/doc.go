// Package loadtest holds the measuring side of MangaHub's performance work
// (docs/performance.md): a closed-loop driver of HTTP reads and the table
// that compares servers, an open-loop driver of TCP progress updates that
// times acks and fan-out, a holder of many idle authenticated TCP or
// WebSocket connections spread over several processes and source
// addresses, /proc meters of CPU and RSS, and the means to prepare a server
// for them (a generated catalog, users registered over the API, tokens).
//
// It talks to the server only as the external contract allows (HTTP, the
// TCP line protocol, WebSocket, and JWTs with the contract's claims), so it
// lives in a module of its own that cannot reach the server's internals.
//
// Everything it measures is bounded in time and request count and is meant
// for 127.0.0.0/8 only. Latencies go into HdrHistograms: fixed memory per
// run, and a reported percentile is within 0.1 % of an observed latency.
package loadtest
