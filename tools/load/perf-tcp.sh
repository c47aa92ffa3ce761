#!/bin/sh
# TCP sync: idle capacity and RSS per connection (against the baseline line
# server), handshake rate, ack and fan-out latency. Runs from any directory.
# Usage: tools/load/perf-tcp.sh [idle|fanout|all]
# Environment: OUT (/tmp/mhperf), CONNS (19000), PROCS (4), RATES ("1000 2000 3000 5000 10000"), DUR (10s).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/mhperf}; CONNS=${CONNS:-19000}; PROCS=${PROCS:-4}
RATES=${RATES:-"1000 2000 3000 5000 10000"}; DUR=${DUR:-10s}
BIN=$OUT/bin; DIR=$OUT/tcp; mkdir -p "$BIN" "$DIR"
(cd "$ROOT" && go build -o "$BIN/mangahub" ./cmd/mangahub)
(cd "$ROOT/tools/load" && go build -o "$BIN/mangahub-load" ./cmd/mangahub-load)
HTTP=127.0.0.1:18080 TCP=127.0.0.1:18081 BASE=127.0.0.1:19081
unset MANGAHUB_DATABASE_URL
export MANGAHUB_DATA_DIR=$DIR/data MANGAHUB_HTTP_ADDR=$HTTP MANGAHUB_TCP_ADDR=$TCP
# The load tool mints the users' access tokens with the server's secret.
export MANGAHUB_JWT_SECRET=perf-secret-perf-secret-perf-secret-0123
# The per-user progress limit (20/s by default) is raised for the fan-out
# runs, which send up to 20 updates per second per user, and the limit on
# registrations per address for the 1,000 users registered in a burst.
export MANGAHUB_RATE_LIMIT=1000/s,burst=1000 MANGAHUB_AUTH_RATE_LIMIT=1000/s,burst=1000

pids=
stop_all() { for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; pids=; }
trap 'stop_all' EXIT INT TERM
# wait_http waits for the server's /readyz and makes sure the answer is
# from the server just started (the last of pids), not from another on the port.
wait_http() {
	for _ in $(seq 50); do curl -fs "http://$HTTP/readyz" >/dev/null && break; sleep 0.2; done
	for p in $pids; do :; done
	kill -0 "$p" 2>/dev/null || { echo "perf-tcp: the server exited (port taken?); see $DIR/*.log" >&2; exit 1; }
}

# 1,000 users, registered over the API once (the server hashes each
# password) and kept with the data directory for later runs.
if [ ! -s "$DIR/tokens.txt" ]; then
	rm -rf "$DIR/data"
	"$BIN/mangahub" serve >"$DIR/server-users.log" 2>&1 & server=$!; pids="$server"
	wait_http
	"$BIN/mangahub-load" users -url "http://$HTTP" -n 1000 -out "$DIR/tokens.txt"
	stop_all
fi

case ${1:-all} in
idle | all)
	"$BIN/mangahub" serve >"$DIR/server-idle.log" 2>&1 & server=$!; pids="$server"
	wait_http
	echo "== mangahub: $CONNS idle connections"; uptime
	"$BIN/mangahub-load" tcp-idle -addr "$TCP" -http "http://$HTTP" -tokens "$DIR/tokens.txt" \
		-conns "$CONNS" -procs "$PROCS" -src 127.0.0.2-127.0.0.$((PROCS + 1)) \
		-server-pid "$server" -json "$DIR/idle-mangahub.json"
	stop_all

	"$BIN/mangahub-load" baseline -addr "$BASE" >"$DIR/baseline.log" 2>&1 & base=$!; pids="$base"
	sleep 0.5
	echo "== baseline: $CONNS idle connections"; uptime
	"$BIN/mangahub-load" tcp-idle -addr "$BASE" -tokens "$DIR/tokens.txt" \
		-conns "$CONNS" -procs "$PROCS" -src 127.0.0.2-127.0.0.$((PROCS + 1)) \
		-server-pid "$base" -json "$DIR/idle-baseline.json"
	stop_all
	;;
esac

case ${1:-all} in
fanout | all)
	for rate in $RATES; do
		# A fresh server per rate: an overloaded run leaves updates queued in
		# the server's sockets, which it goes on applying after the clients left.
		"$BIN/mangahub" serve >"$DIR/server-fanout-$rate.log" 2>&1 & server=$!; pids="$server"
		wait_http
		users=$((rate > 5000 ? 1000 : 500)) # 10 updates/s per user
		echo "== fan-out at $rate updates/s, $users users × 2 connections"; uptime
		"$BIN/mangahub-load" tcp-fanout -addr "$TCP" -http "http://$HTTP" -tokens "$DIR/tokens.txt" \
			-users "$users" -conns-per-user 2 -rate "$rate" -d "$DUR" -src 127.0.0.2-127.0.0.5 \
			-server-pid "$server" -json "$DIR/fanout-$rate.json"
		stop_all
	done
	;;
esac
