#!/bin/sh
# WebSocket: idle capacity; RSS, heap, stack and goroutines per connection;
# handshake rate. Each size is run against MangaHub, optionally MangaHub
# built from another commit (BEFORE), and the textbook server (ws-baseline),
# with the same client, one after the other. Runs from any directory.
# Usage: tools/load/perf-ws.sh
# Environment: OUT (/tmp/mhperf), CONNS ("2000 10000 19000"), PROCS (4),
# ROUNDS (1), BEFORE (a git revision to compare with; empty: none),
# SERVERS (which of "mangahub before baseline tcp" to run; all but tcp by
# default; tcp is MangaHub's TCP transport, for comparison),
# PORTS (base port, 28080: HTTP, +1 TCP, +1000 the baseline),
# AFTER_WAIT (hold the connections this long before the "after" reading;
# 180s reads after each server's first idle GC; 0 by default).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/mhperf}; CONNS=${CONNS:-"2000 10000 19000"}; PROCS=${PROCS:-4}; ROUNDS=${ROUNDS:-1}
PORTS=${PORTS:-28080}
BIN=$OUT/bin; DIR=$OUT/ws; mkdir -p "$BIN" "$DIR"
(cd "$ROOT" && go build -o "$BIN/mangahub" ./cmd/mangahub)
(cd "$ROOT/tools/load" && go build -o "$BIN/mangahub-load" ./cmd/mangahub-load)
servers="mangahub baseline"
if [ -n "${BEFORE:-}" ]; then
	src=$DIR/src-before; rm -rf "$src"; mkdir -p "$src"
	git -C "$ROOT" archive "$BEFORE" | tar -x -C "$src"
	(cd "$src" && go build -o "$BIN/mangahub-before" ./cmd/mangahub)
	servers="mangahub before baseline"
fi
servers=${SERVERS:-$servers}
HTTP=127.0.0.1:$PORTS TCP=127.0.0.1:$((PORTS + 1)) BASE=127.0.0.1:$((PORTS + 1000))
unset MANGAHUB_DATABASE_URL MANGAHUB_REDIS_URL
export MANGAHUB_DATA_DIR=$DIR/data MANGAHUB_HTTP_ADDR=$HTTP MANGAHUB_TCP_ADDR=$TCP
# The load tool mints the users' access tokens with the server's secret;
# the 1,000 users are registered over the API in a burst.
export MANGAHUB_JWT_SECRET=perf-secret-perf-secret-perf-secret-0123 MANGAHUB_AUTH_RATE_LIMIT=1000/s,burst=1000

pids=
stop_all() { for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; pids=; }
trap 'stop_all' EXIT INT TERM
wait_http() {
	for _ in $(seq 50); do curl -fs "$1" >/dev/null && return 0; sleep 0.2; done
	echo "perf-ws: no answer from $1 (is the port taken?)" >&2; return 1
}

if [ ! -s "$DIR/tokens.txt" ]; then
	rm -rf "$DIR/data"
	"$BIN/mangahub" serve >"$DIR/server-users.log" 2>&1 & pids=$!
	wait_http "http://$HTTP/readyz"
	kill -0 "$pids" 2>/dev/null || { echo "perf-ws: the server exited (port taken? try PORTS=…); see $DIR/server-users.log" >&2; exit 1; }
	"$BIN/mangahub-load" users -url "http://$HTTP" -n 1000 -out "$DIR/tokens.txt"
	stop_all
fi

for round in $(seq "$ROUNDS"); do
	for n in $CONNS; do
		for s in $servers; do
			cmd=ws-idle
			case $s in
			baseline)
				"$BIN/mangahub-load" ws-baseline -addr "$BASE" >"$DIR/baseline.log" 2>&1 & pid=$!
				base=$BASE; addr=ws://$BASE/ws; wait_http "http://$BASE/metrics" ;;
			*)
				"$BIN/$( [ "$s" = before ] && echo mangahub-before || echo mangahub)" serve >"$DIR/server-$s.log" 2>&1 & pid=$!
				base=$HTTP; addr=ws://$HTTP/ws; wait_http "http://$HTTP/readyz"
				if [ "$s" = tcp ]; then cmd=tcp-idle; addr=$TCP; fi ;;
			esac
			pids=$pid
			echo "== round $round: $s, $n idle connections ($cmd), $(date -u +%H:%M:%S) UTC"
			uptime; top -bn1 | head -12 | tail -6
			"$BIN/mangahub-load" $cmd -addr "$addr" -http "http://$base" -tokens "$DIR/tokens.txt" \
				-conns "$n" -procs "$PROCS" -src 127.0.0.2-127.0.0.$((PROCS + 1)) \
				-server-pid "$pid" -after-wait "${AFTER_WAIT:-0}" -json "$DIR/idle-$s-$n-r$round.json"
			stop_all
		done
	done
done
