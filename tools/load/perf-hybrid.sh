#!/bin/sh
# The hybrid store on PostgreSQL + Redis: flush throughput against the design
# document's method and raw COPY; acknowledged updates per second over TCP in
# write-behind and write-through mode with ack and fan-out latency; Redis
# commands per update; write-behind lag; fan-out across two instances; the
# bus cost of an instance without the users' connections.
# Run from the repository root, on a quiet machine (docs/performance.md).
# Usage: cmd/mangahub-load/perf-hybrid.sh [flush|modes|cluster|all]
# Environment: OUT (/tmp/mhperf), RATES ("5000 10000 20000"), CRATE (5000, the cluster runs' rate),
# DUR (10s), ROWS (100000, flush bench), PG (postgres://postgres@127.0.0.1:5432).
set -eu
OUT=${OUT:-/tmp/mhperf}; RATES=${RATES:-"5000 10000 20000"}; CRATE=${CRATE:-5000}; DUR=${DUR:-10s}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BIN=$OUT/bin; DIR=$OUT/hybrid; mkdir -p "$BIN" "$DIR"
go build -o "$BIN/mangahub" ./cmd/mangahub
go build -o "$BIN/mangahub-load" ./cmd/mangahub-load

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
# Fan-out runs send up to 20 updates per second per user.
export MANGAHUB_RATE_LIMIT=1000/s,burst=1000

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
	echo "== flush throughput: ${ROWS:-100000} rows, batches of 1000"; uptime
	"$BIN/mangahub-load" flush -db "$MANGAHUB_DATABASE_URL" -rows "${ROWS:-100000}" -batch 1000 -json "$DIR/flush.json"
	;;
esac

"$BIN/mangahub" migrate >/dev/null
"$BIN/mangahub-load" users -n 1000 -out "$DIR/tokens.txt" # the database is new every run

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
