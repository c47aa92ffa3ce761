// Package wire is the load tool's client of MangaHub's sync protocol v1 as
// the external contract defines it (CONTRACT.md section 3): JSON objects,
// one per line over TCP. It is written from the contract, not shared with
// the server, so that the tool measures the server the way any client
// would see it, and a change to the server's wire format shows up here as
// a failure instead of being followed silently.
package wire
