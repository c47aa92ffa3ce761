// Package mangahub holds MangaHub's domain: users, the manga catalog, reading
// progress, the events that carry progress changes between devices, the one
// error vocabulary, and the interfaces that have more than one implementation.
// It imports the standard library only.
//
// Package map (everything below internal/):
//
//	cli/         the command tree (serve, migrate, user, catalog, version)
//	server/      the composition root: config → logger → stores → bus → services
//	             → listeners, and the ordered shutdown. The only package that
//	             picks an engine.
//	config/      Config, defaults, Load(getenv, args), Validate
//	auth/        password hashing, JWT issue/verify, register/login/refresh
//	catalog/     manga and genre use cases, the embedded sample catalog
//	progress/    the one place for the progress rules (validate → store → publish)
//	ratelimit/   keyed token buckets (per user, per address)
//	sqlite/      embedded engine (modernc.org/sqlite), migrations
//	postgres/    production engine (pgx/v5), migrations
//	migration/   the numbered SQL files' naming and order, shared by the
//	             SQL engines (standard library only)
//	inmem/       in-process bus
//	redis/       Redis engine: hot store, write-behind queue, cluster bus,
//	             cluster-wide rate limiter
//	writebehind/ the hybrid progress store (hot store in front of the
//	             database) and the flusher that drains its queue
//	hub/         live connections per user and fan-out; knows no sockets
//	protocol/    wire messages and error codes shared by TCP, WebSocket, clients
//	httpapi/     the HTTP transport (REST, health, metrics, OpenAPI)
//	tcpsync/     the TCP transport
//	ws/          the WebSocket transport
//	web/         the embedded web page (HTML, CSS, JavaScript modules)
//	storetest/   one conformance suite run against every engine
//
// Dependency rules, checkable with `go list -deps`:
//   - this package imports nothing of ours;
//   - use-case packages (auth, catalog, progress) import this package only;
//   - engine packages (sqlite, postgres, inmem, redis, writebehind, ratelimit)
//     import this package only and never each other (writebehind composes
//     engines through this package's interfaces); the SQL engines also share
//     migration, which imports nothing of ours;
//   - config imports auth (the secret length rule) and ratelimit (the
//     syntax of limits), so each rule is written once;
//   - transports (httpapi, tcpsync, ws) import this package, protocol, hub and
//     the use cases they serve, never an engine;
//   - only server imports everything.
package mangahub
