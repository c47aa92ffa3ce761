#!/bin/sh
# The hybrid store on PostgreSQL + Redis: flush throughput against the design
# document's method and raw COPY; acknowledged updates per second over TCP in
# write-behind and write-through mode with ack and fan-out latency; Redis
# commands per update; write-behind lag; fan-out across two instances; the
# bus cost of an instance without the users' connections.
# Runs from any directory, on a quiet machine (docs/performance.md).
# Usage: tools/load/perf-hybrid.sh [flush|modes|cluster|all]
# Environment: OUT (/tmp/mhperf), RATES ("5000 10000 20000"), CRATE (5000, the cluster runs' rate),
# DUR (10s), PG (postgres://postgres@127.0.0.1:5432).
# The flush bench measures the database, not the server: it is
# BenchmarkFlush in internal/postgres (100,000 rows, batches of 1,000), run
# here with go test against a throwaway database on PG.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/mhperf}; RATES=${RATES:-"5000 10000 20000"}; CRATE=${CRATE:-5000}; DUR=${DUR:-10s}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BIN=$OUT/bin; DIR=$OUT/hybrid; mkdir -p "$BIN" "$DIR"
(cd "$ROOT" && go build -o "$BIN/mangahub" ./cmd/mangahub)
(cd "$ROOT/tools/load" && go build -o "$BIN/mangahub-load" ./cmd/mangahub-load)

# A database and a Redis of this run only (Redis with an append-only file,
# fsynced every second, as docs/deployment.md recommends).
DB=mangahub_perf
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
REDIS_PORT=16379
rm -rf "$DIR/redis"; mkdir -p "$DIR/redis"
redis-server --port $REDIS_PORT --bind 127.0.0.1 --dir "$DIR/redis" --save "" --appendonly yes \
	--appendfsync everysec --maxmemory-policy volatile-lru --daemonize yes --logfile "$DIR/redis/log"
rcli() { redis-cli -p $REDIS_PORT "$@"; }
for _ in $(seq 50); do rcli ping >/dev/null 2>&1 && break; sleep 0.1; done

HTTP=127.0.0.1:18080 TCP=127.0.0.1:18081 HTTP2=127.0.0.1:18090 TCP2=127.0.0.1:18091
export MANGAHUB_DATABASE_URL="$PG/$DB?sslmode=disable" MANGAHUB_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export MANGAHUB_JWT_SECRET=perf-secret-perf-secret-perf-secret-0123 MANGAHUB_DATA_DIR=$DIR/data
# Fan-out runs send up to 20 updates per second per user; the 1,000 users
# are registered over the API in a burst.
export MANGAHUB_RATE_LIMIT=1000/s,burst=1000 MANGAHUB_AUTH_RATE_LIMIT=1000/s,burst=1000

pids=
stop_all() { for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; pids=; }
trap 'stop_all; rcli shutdown nosave >/dev/null 2>&1 || true' EXIT INT TERM
wait_http() { for _ in $(seq 100); do curl -fs "http://$1/readyz" >/dev/null && return; sleep 0.2; done; echo "no /readyz at $1"; exit 1; }
serve() { # serve NAME HTTP TCP [ENV…]: start an instance and wait for it
	name=$1 http=$2 tcp=$3; shift 3
	env MANGAHUB_HTTP_ADDR=$http MANGAHUB_TCP_ADDR=$tcp "$@" "$BIN/mangahub" serve >"$DIR/$name.log" 2>&1 &
	pids="$pids $!"; last=$!
	wait_http "$http"
}
# Redis commands per update: the calls the service makes itself (scripts,
# reads), before and after; the commands scripts run inside Redis are left out.
calls() { rcli info commandstats | awk -F'[:=,]' '/^cmdstat_(evalsha|eval|hmget|hgetall|spublish)/ {sum += $3} END {print sum + 0}'; }

case ${1:-all} in
flush | all)
	echo "== flush throughput: 100000 rows, batches of 1000"; uptime
	# REQUIRE_SERVICES: a PostgreSQL that cannot be reached fails the run
	# instead of skipping the bench.
	if ! (cd "$ROOT" && MANGAHUB_TEST_POSTGRES_URL="$PG/postgres?sslmode=disable" MANGAHUB_TEST_REQUIRE_SERVICES=1 \
		go test -run '^$' -bench BenchmarkFlush -benchtime 1x -count 1 ./internal/postgres) >"$DIR/flush.txt" 2>&1; then
		cat "$DIR/flush.txt"; exit 1
	fi
	cat "$DIR/flush.txt"
	# Each method against the design document's and against COPY, as before.
	awk '/^BenchmarkFlush\// { split($1, p, "/"); sub(/-[0-9]+$/, "", p[3]); rate[p[2] " " p[3]] = $5 }
	END {
		n = split("seed-batch-insert put-progress-batch raw-copy", ms, " ")
		for (i = 1; i <= n; i++) {
			m = ms[i]; in_ = rate[m " insert"]; up = rate[m " update"]
			printf "%-20s insert %8.0f rows/s (%.1f× seed, %3.0f%% of COPY)   update %8.0f rows/s (%.1f× seed, %3.0f%% of COPY)\n", m,
				in_, in_ / rate["seed-batch-insert insert"], 100 * in_ / rate["raw-copy insert"],
				up, up / rate["seed-batch-insert update"], 100 * up / rate["raw-copy update"]
		}
	}' "$DIR/flush.txt"
	;;
esac

# The database is new every run: register the users over the API.
serve users $HTTP $TCP
"$BIN/mangahub-load" users -url "http://$HTTP" -n 1000 -out "$DIR/tokens.txt"
stop_all

case ${1:-all} in
modes | all)
	for mode in write-behind write-through; do
		for rate in $RATES; do
			rcli flushall >/dev/null
			serve "$mode-$rate" $HTTP $TCP MANGAHUB_WRITE_MODE=$mode
			before=$(calls)
			echo "== $mode at $rate updates/s, 1000 users × 3 connections"; uptime
			"$BIN/mangahub-load" tcp-fanout -addr "$TCP" -http "http://$HTTP" -tokens "$DIR/tokens.txt" \
				-users 1000 -conns-per-user 3 -rate "$rate" -d "$DUR" -src 127.0.0.2-127.0.0.5 \
				-server-pid "$last" -json "$DIR/$mode-$rate.json"
			after=$(calls)
			applied=$(grep -o '"applied": *[0-9]*' "$DIR/$mode-$rate.json" | head -n1 | grep -o '[0-9]*$')
			echo "redis commands from the service (EVALSHA, HMGET, HGETALL, SPUBLISH): $((after - before)) for $applied applied updates (warm-up included)"
			[ "$mode" = write-behind ] && "$BIN/mangahub-load" quantile -url "http://$HTTP/metrics" \
				-name mangahub_write_behind_lag_seconds -q 0.99
			stop_all
		done
	done
	;;
esac

case ${1:-all} in
cluster | all)
	rcli flushall >/dev/null
	serve a $HTTP $TCP
	a=$last
	serve b $HTTP2 $TCP2
	b=$last
	echo "== two instances: senders on a, receivers on b, $CRATE updates/s"; uptime
	"$BIN/mangahub-load" tcp-fanout -addr "$TCP" -recv-addr "$TCP2" -http "http://$HTTP" -tokens "$DIR/tokens.txt" \
		-users 1000 -conns-per-user 2 -rate "$CRATE" -d "$DUR" -src 127.0.0.2-127.0.0.5 \
		-server-pid "$a" -json "$DIR/cluster-$CRATE.json"
	echo "== bus cost: every connection on a, none on b, $CRATE updates/s"
	b0=$(awk '{print $14 + $15}' /proc/$b/stat)
	"$BIN/mangahub-load" tcp-fanout -addr "$TCP" -http "http://$HTTP" -tokens "$DIR/tokens.txt" \
		-users 1000 -conns-per-user 2 -rate "$CRATE" -d "$DUR" -src 127.0.0.2-127.0.0.5 \
		-server-pid "$a" -json "$DIR/bus-a-only.json"
	b1=$(awk '{print $14 + $15}' /proc/$b/stat)
	echo "instance b (no connections) used $((b1 - b0)) clock ticks of CPU ($(getconf CLK_TCK)/s) meanwhile"
	stop_all
	;;
esac
