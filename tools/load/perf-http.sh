#!/bin/sh
# Reads over HTTP (issue 7): MangaHub on embedded SQLite and on PostgreSQL,
# side by side with the in-memory reference server (`mangahub-load
# refserver`), the same client, routes and payloads, closed loop: for
# GET /api/manga/{id}, GET /api/manga?q=word and GET /api/progress (20 rows)
# on the sample catalog, then search again with 19,800 generated manga
# imported (about 20,000 in all). One Markdown table at the end.
#
# Usage: tools/load/perf-http.sh [sqlite|postgres|both]   (from any directory)
# Environment: OUT (results, default /tmp/mhperf), DUR (10s per route and
# server), WARMUP (2s), CONC (32 clients), BIG (19800 generated manga),
# PG (postgres://postgres@127.0.0.1:5432; the run creates the throwaway
# database mh_perf and drops it at the end).
#
# How the data gets in, through the contract only: `mangahub serve` seeds the
# sample catalog into its empty database; one user is registered over
# POST /auth/register and 20 manga are put in its library over
# POST /api/progress (`mangahub-load users -library 20`); the generated
# manga go in with `mangahub catalog import`, the server stopped meanwhile
# so that no catalog cache of it outlives the import. The reference server
# copies the catalog and the library over the API (`refserver -from`), so
# both answer with the same bytes; the table shows the mean response size
# of each.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/mhperf}; DUR=${DUR:-10s}; WARMUP=${WARMUP:-2s}; CONC=${CONC:-32}; BIG=${BIG:-19800}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BIN=$OUT/bin; DIR=$OUT/http; RES=$DIR/results
mkdir -p "$BIN"; rm -rf "$DIR"; mkdir -p "$RES"
(cd "$ROOT" && go build -o "$BIN/mangahub" ./cmd/mangahub)
(cd "$ROOT/tools/load" && go build -o "$BIN/mangahub-load" ./cmd/mangahub-load)
LOAD=$BIN/mangahub-load

HTTP=127.0.0.1:18080 REF=127.0.0.1:19090
# One secret for every engine: the load tool mints the users' tokens with it
# and the reference server checks them with it.
export MANGAHUB_HTTP_ADDR=$HTTP MANGAHUB_TCP_ADDR=127.0.0.1:18081
export MANGAHUB_JWT_SECRET=perf-secret-perf-secret-perf-secret-0123
"$LOAD" catalog -n "$BIG" -out "$DIR/generated.json" >/dev/null

mh= ref=
stop() { for p in "$@"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; return 0; }
trap 'stop "$mh" "$ref"' EXIT INT TERM
wait_http() { for _ in $(seq 100); do curl -fs "http://$1$2" >/dev/null && return 0; sleep 0.2; done; echo "perf-http: no answer from $1" >&2; exit 1; }
# alive PID LOG: the process must still run once the address answers, or
# the answer came from someone else's server on the same port.
alive() { kill -0 "$1" 2>/dev/null || { echo "perf-http: process $1 exited (port taken?); see $2" >&2; exit 1; }; }
start_mh() { "$BIN/mangahub" serve >>"$dir/server.log" 2>&1 & mh=$!; wait_http "$HTTP" /readyz; alive "$mh" "$dir/server.log"; }
start_ref() {
	"$LOAD" refserver -addr "$REF" -from "http://$HTTP" -tokens "$dir/tokens.txt" >"$dir/ref.log" 2>&1 & ref=$!
	wait_http "$REF" /healthz; alive "$ref" "$dir/ref.log"; cat "$dir/ref.log"
}
catalog_size() {
	curl -fs -H "Authorization: Bearer $(head -n1 "$dir/tokens.txt")" "http://$HTTP/api/manga?limit=1" | grep -o '"total":[0-9]*' | cut -d: -f2
}
measure() { # measure NAME PID ADDR ROUTES
	echo "== $1, $size manga: $4, $CONC clients, $(date -u +%H:%M:%S) UTC"; uptime
	"$LOAD" http -url "http://$3" -tokens "$dir/tokens.txt" -server "$1" -server-pid "$2" -catalog "$size manga" \
		-routes "$4" -c "$CONC" -d "$DUR" -warmup "$WARMUP" -json-dir "$RES" ${DBPROCS:+-db-procs "$DBPROCS"}
}

run_engine() { # run_engine sqlite|postgres
	engine=$1; dir=$DIR/$engine; mkdir -p "$dir"
	export MANGAHUB_DATA_DIR=$dir/data
	start_mh
	"$LOAD" users -url "http://$HTTP" -n 1 -library 20 -out "$dir/tokens.txt"
	size=$(catalog_size)
	measure "mangahub-$engine" "$mh" "$HTTP" manga-by-id,search,progress
	# The reference server is filled from this engine's MangaHub, so that
	# it answers with the same bytes (timestamps and IDs differ by engine).
	start_ref; measure "reference-$engine" "$ref" "$REF" manga-by-id,search,progress; stop "$ref"; ref=

	stop "$mh"; mh=
	"$BIN/mangahub" catalog import "$DIR/generated.json"
	start_mh
	size=$(catalog_size)
	measure "mangahub-$engine" "$mh" "$HTTP" search
	start_ref; measure "reference-$engine" "$ref" "$REF" search; stop "$ref"; ref=
	stop "$mh"; mh=
}

case ${1:-both} in
sqlite | both) unset MANGAHUB_DATABASE_URL DBPROCS; run_engine sqlite ;;
esac
case ${1:-both} in
postgres | both)
	psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS mh_perf WITH (FORCE)" -c "CREATE DATABASE mh_perf"
	export MANGAHUB_DATABASE_URL="$PG/mh_perf?sslmode=disable"
	DBPROCS="postgres mh_perf" # the backends serving this database
	run_engine postgres
	psql "$PG/postgres" -qc "DROP DATABASE mh_perf WITH (FORCE)"
	;;
esac

echo "== table (machine: $(nproc) cores; $(uptime))"
"$LOAD" table "$RES"/*.json | tee "$DIR/table.md"
