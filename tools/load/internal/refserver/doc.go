// Package refserver is the yardstick of the HTTP read measurements (issue 7):
// the in-memory server a Go programmer would write first for MangaHub's
// three hottest reads, GET /api/manga/{id}, GET /api/manga?q= and
// GET /api/progress. It is deliberately textbook: a net/http ServeMux, an
// HS256 check with golang-jwt on every request, the data in maps behind one
// sync.RWMutex, responses encoded with encoding/json, search as a scan over
// every manga. It does no caching and no tuning, so that what MangaHub
// spends beyond it is the price of its database, not of Go or HTTP.
//
// It copies its data from a running MangaHub over the public API (the
// catalog, and the library of each load-test user), so that both answer
// the same requests with the same bytes: the load tool reports the mean
// response size of both, and a difference would mean they did not do the
// same work.
package refserver
