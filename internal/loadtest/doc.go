// Package loadtest holds the measuring side of MangaHub's performance work
// (docs/performance.md): closed-loop drivers for catalog search over HTTP and
// directly against a store, an open-loop driver of TCP progress updates that
// times acks and fan-out, a holder of many idle authenticated TCP
// connections spread over several processes and source addresses, and the
// means to prepare a database for them (generated catalog, users, tokens).
//
// Everything it measures is bounded in time and request count and is meant
// for 127.0.0.0/8 only. Latencies are kept as raw samples and summarised by
// nearest-rank percentiles, so that a reported p99 is a latency that was
// actually observed, not an interpolation.
package loadtest
