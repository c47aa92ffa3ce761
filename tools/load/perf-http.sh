#!/bin/sh
# Catalog search: HTTP against the store directly, on SQLite and PostgreSQL.
# Usage: cmd/mangahub-load/perf-http.sh [sqlite|postgres|both]  (from the repository root)
# Environment: OUT (results directory, default /tmp/mhperf), ROUNDS (4), DUR (10s), CONC (8).
# PostgreSQL: a fresh database mh_perf on 127.0.0.1:5432 (user postgres, trust auth),
# created here and dropped afterwards.
set -eu
OUT=${OUT:-/tmp/mhperf}; ROUNDS=${ROUNDS:-4}; DUR=${DUR:-10s}; CONC=${CONC:-8}
BIN=$OUT/bin; mkdir -p "$BIN"
go build -o "$BIN/mangahub" ./cmd/mangahub
go build -o "$BIN/mangahub-load" ./cmd/mangahub-load
export MANGAHUB_HTTP_ADDR=127.0.0.1:18080 MANGAHUB_TCP_ADDR=127.0.0.1:18081

server_pid=
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=; }
trap 'stop_server' EXIT INT TERM

run_engine() { # $1 = sqlite | postgres
	engine=$1; dir=$OUT/http-$engine; rm -rf "$dir"; mkdir -p "$dir"
	export MANGAHUB_DATA_DIR=$dir/data
	"$BIN/mangahub-load" seed -n 3000
	"$BIN/mangahub-load" users -n 1 -out "$dir/tokens.txt"
	"$BIN/mangahub" serve >"$dir/server.log" 2>&1 & server_pid=$!
	for _ in $(seq 50); do curl -fs "http://$MANGAHUB_HTTP_ADDR/readyz" >/dev/null && break; sleep 0.2; done
	for r in $(seq "$ROUNDS"); do
		echo "== $engine round $r: store"; uptime
		"$BIN/mangahub-load" store -c "$CONC" -d "$DUR" ${DBPROCS:+-db-procs "$DBPROCS"} -json "$dir/store-$r.json"
		echo "== $engine round $r: http"; uptime
		"$BIN/mangahub-load" http -url "http://$MANGAHUB_HTTP_ADDR" -tokens "$dir/tokens.txt" \
			-c "$CONC" -d "$DUR" -server-pid "$server_pid" ${DBPROCS:+-db-procs "$DBPROCS"} -json "$dir/http-$r.json"
	done
	stop_server
}

case ${1:-both} in
sqlite | both) unset MANGAHUB_DATABASE_URL MANGAHUB_JWT_SECRET DBPROCS; run_engine sqlite ;;
esac
case ${1:-both} in
postgres | both)
	dropdb -h 127.0.0.1 -U postgres --if-exists mh_perf
	createdb -h 127.0.0.1 -U postgres mh_perf
	export MANGAHUB_DATABASE_URL="postgres://postgres@127.0.0.1:5432/mh_perf?sslmode=disable"
	export MANGAHUB_JWT_SECRET=perf-secret-perf-secret-perf-secret-0123
	DBPROCS="postgres mh_perf" # the backends serving this database
	run_engine postgres
	dropdb -h 127.0.0.1 -U postgres mh_perf
	;;
esac
