#!/usr/bin/env bash
# Latency of psql's `\d lineitem` on Cirrus and on PostgreSQL 15: pgbench
# runs the nine catalog queries psql 15 sends for it (scripts/bench-describe.sql,
# from ../shared/pgcompat/CAPTURES.md Appendix B) as one transaction, on one
# connection, for SECONDS against each, and prints the p50, p95 and mean
# latency per transaction (from pgbench's per-transaction log) and the
# machine's load.
#
#   scripts/bench-describe.sh [SECONDS]      (default 10)
#
# Cirrus: $BENCH_CIRRUS_DSN, else `cirrus dev --tpch 0.01` started on a
# fresh $BENCH_DIR/cirrus (needs make build). PostgreSQL: $BENCH_PG_DSN (a
# database holding the TPC-H tables), else a private PostgreSQL 15 started
# with initdb in $BENCH_DIR/pg on a free port (as user nobody when run as
# root), holding the TPC-H tables of `cirrus tpch ddl` (no rows: the
# queries read only the catalog). Work directory: $BENCH_DIR (default
# ./data/bench-describe; deleted first). Query mode: $BENCH_MODE (pgbench
# -M, default simple, as psql sends them). Binary: $BENCH_CIRRUS_BIN (default
# ./bin/cirrus), e.g. an older build to compare with.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
BENCH=${BENCH_DIR:-./data/bench-describe}
MODE=${BENCH_MODE:-simple}
CIRRUS=${BENCH_CIRRUS_BIN:-./bin/cirrus}
PGBIN=${CIRRUS_PG_BINDIR:-/usr/lib/postgresql/15/bin}
SCRIPT=$PWD/scripts/bench-describe.sql

rm -rf "$BENCH"
mkdir -p "$BENCH"
BENCH=$(cd "$BENCH" && pwd)
dev_pid=""
pg_started=""
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u nobody --); fi
cleanup() {
  if [ -n "$dev_pid" ]; then kill -INT "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; fi
  if [ -n "$pg_started" ]; then "${AS[@]}" "$PGBIN/pg_ctl" -D "$BENCH/pg/data" -m fast stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

CIRRUS_DSN=${BENCH_CIRRUS_DSN:-}
if [ -z "$CIRRUS_DSN" ]; then
  port=$(free_port)
  "$CIRRUS" dev --data "$BENCH/cirrus" --port "$port" --tpch 0.01 >"$BENCH/cirrus.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 1 3000); do
    grep -q "Press Ctrl-C" "$BENCH/cirrus.log" && break
    kill -0 "$dev_pid" 2>/dev/null || { cat "$BENCH/cirrus.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "Press Ctrl-C" "$BENCH/cirrus.log" || { echo "cirrus dev did not start; see $BENCH/cirrus.log" >&2; exit 1; }
  CIRRUS_DSN="postgres://cirrus@127.0.0.1:$port/cirrus?sslmode=disable"
fi

PG_DSN=${BENCH_PG_DSN:-}
if [ -z "$PG_DSN" ]; then
  port=$(free_port)
  mkdir -p "$BENCH/pg"
  [ ${#AS[@]} -eq 0 ] || chown nobody "$BENCH/pg"
  "${AS[@]}" "$PGBIN/initdb" -D "$BENCH/pg/data" -U postgres --auth=trust >"$BENCH/pg/initdb.log" 2>&1
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$BENCH/pg/data" -w -l "$BENCH/pg/log" \
    -o "-p $port -k $BENCH/pg -c listen_addresses=127.0.0.1" start >/dev/null
  pg_started=1
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE tpch" postgres
  PG_DSN="postgres://postgres@127.0.0.1:$port/tpch?sslmode=disable"
  "$CIRRUS" tpch ddl | psql -X -q -v ON_ERROR_STOP=1 "$PG_DSN"
fi

# run NAME DSN: pgbench for SECS seconds, then "NAME p50 p95 mean tps" (ms).
run() {
  local name=$1 dsn=$2
  (cd "$BENCH" && pgbench -n -M "$MODE" -f "$SCRIPT" -T "$SECS" -c 1 --log --log-prefix "$name" "$dsn" >"$name.out" 2>&1) || {
    cat "$BENCH/$name.out" >&2
    exit 1
  }
  grep -q "number of failed transactions: 0 " "$BENCH/$name.out" || { cat "$BENCH/$name.out" >&2; exit 1; }
  # Log lines: client transaction latency_us script epoch_s epoch_us.
  cat "$BENCH/$name".* | awk '{ print $3 }' | sort -n | awk -v name="$name" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { print name ": no transactions" > "/dev/stderr"; exit 1 }
      p50 = v[int(NR * 0.50 + 0.999999)]; p95 = v[int(NR * 0.95 + 0.999999)]
      printf "%-10s %9.2f %9.2f %9.2f %8d\n", name, p50 / 1000, p95 / 1000, sum / NR / 1000, NR
    }'
}

echo "load before: $(uptime)"
printf "%-10s %9s %9s %9s %8s\n" "\\d lineitem" "p50 ms" "p95 ms" "mean ms" "xacts"
run cirrus "$CIRRUS_DSN"
run postgres "$PG_DSN"
echo "load after:  $(uptime)"
