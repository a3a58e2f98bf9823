#!/usr/bin/env bash
# TPC-H through `cirrus dev` (2 participants) with its objects in a local
# directory and in MinIO, cold and warm, as a table of per-query times.
#
#   scripts/bench-storage.sh [SF] [RUNS]      (default SF 1, 3 warm runs)
#
# cold       each query alone on a freshly started cluster with empty caches
#            (participants' disk caches deleted; in-memory caches start empty);
#            the OS page cache is not dropped, so MinIO's and the local
#            store's files may be in memory
# disk-warm  (MinIO only) the cluster restarted after the cold pass: the
#            disk cache holds what the queries read, the memory caches are
#            empty; one run per query
# warm       then RUNS runs per query, median
# and the hit ratios of the warm runs (cirrus_stat_storage).
#
# Needs: make build; the MinIO server (scripts/ensure-minio.sh). Work
# directory: $BENCH_DIR (default ./data/bench-storage; deleted first).
set -euo pipefail
cd "$(dirname "$0")/.."
SF=${1:-1}
RUNS=${2:-3}
BENCH=${BENCH_DIR:-./data/bench-storage}
CIRRUS=./bin/cirrus
PORT=${BENCH_PORT:-5499}
ANSWERS=../shared/tpch/answers-sf1
[ "$SF" = 1 ] || ANSWERS=""
[ "$SF" = 0.01 ] && ANSWERS=../shared/tpch/answers-sf0.01

rm -rf "$BENCH"
mkdir -p "$BENCH"
BENCH=$(cd "$BENCH" && pwd)
export MINIO_ADDR=${BENCH_MINIO_ADDR:-127.0.0.1:9190} MINIO_CONSOLE_ADDR=${BENCH_MINIO_CONSOLE:-127.0.0.1:9191}
export MINIO_ROOT_USER=bench MINIO_ROOT_PASSWORD=bench-secret MINIO_BUCKET=cirrus
export AWS_ACCESS_KEY_ID=$MINIO_ROOT_USER AWS_SECRET_ACCESS_KEY=$MINIO_ROOT_PASSWORD
DATA=$BENCH ./scripts/minio.sh start >/dev/null
dev_pid=""
cleanup() {
  if [ -n "$dev_pid" ]; then kill "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; fi
  DATA=$BENCH ./scripts/minio.sh stop >/dev/null || true
}
trap cleanup EXIT

# start_dev STORE [EXTRA...]: start cirrus dev on $BENCH/STORE and wait for it.
start_dev() {
  local store=$1; shift
  local flags=()
  if [ "$store" = minio ]; then
    flags=(--storage "s3://cirrus/bench" --s3-endpoint "$MINIO_ADDR" --s3-tls=false)
  fi
  "$CIRRUS" dev --data "$BENCH/$store" --port "$PORT" "${flags[@]}" "$@" >"$BENCH/$store.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 1 6000); do
    grep -q "Press Ctrl-C" "$BENCH/$store.log" && return 0
    kill -0 "$dev_pid" 2>/dev/null || { cat "$BENCH/$store.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "cirrus dev did not start; see $BENCH/$store.log" >&2
  exit 1
}

stop_dev() {
  kill -INT "$dev_pid"
  wait "$dev_pid" || true
  dev_pid=""
}

# run_queries RUNS [QUERIES]: prints "qNN ms" lines.
run_queries() {
  local check=()
  [ -n "$ANSWERS" ] && check=(--check "$ANSWERS")
  "$CIRRUS" tpch run --dsn "postgres://cirrus@127.0.0.1:$PORT/cirrus?sslmode=disable" --runs "$1" \
    --queries "${2:-all}" "${check[@]}" | tee -a "$BENCH/runs.log" |
    awk '/^q[0-9][0-9] / { if ($5 != "" && $5 != "ok") { print "answer check failed: " $0 > "/dev/stderr"; exit 1 } print $1, $2 }'
}

# cache_counters: memory hits, memory misses, disk hits, disk misses over all participants.
cache_counters() {
  psql -X -A -t -F ' ' -h 127.0.0.1 -p "$PORT" -U cirrus cirrus -c \
    "SELECT sum(memory_hits), sum(memory_misses), coalesce(sum(disk_hits), 0), coalesce(sum(disk_misses), 0) FROM cirrus_stat_storage"
}

# hit_ratios BEFORE AFTER: the hit ratios (memory %, disk %) between two cache_counters.
hit_ratios() {
  echo "$1 $2" | awk '{ mh = $5 - $1; mm = $6 - $2; dh = $7 - $3; dm = $8 - $4
    printf "memory %s, disk %s", (mh + mm ? sprintf("%.1f%% of %d", 100 * mh / (mh + mm), mh + mm) : "no lookups"),
                              (dh + dm ? sprintf("%.1f%% of %d blocks", 100 * dh / (dh + dm), dh + dm) : "no lookups") }'
}

declare -A cold diskwarm warm ratio
for store in local minio; do
  echo "== $store: loading TPC-H SF $SF" >&2
  start_dev "$store" --tpch "$SF"
  stop_dev
  for q in $(seq 1 22); do
    rm -rf "$BENCH/$store"/participant-*/cache
    start_dev "$store"
    cold[$store,$q]=$(run_queries 1 "$q" | awk '{print $2}')
    stop_dev
  done
  start_dev "$store"
  if [ "$store" = minio ]; then
    while read -r name t; do diskwarm[$store,$((10#${name#q}))]=$t; done < <(run_queries 1)
  else
    run_queries 1 >/dev/null
  fi
  before=$(cache_counters)
  while read -r name t; do warm[$store,$((10#${name#q}))]=$t; done < <(run_queries "$RUNS")
  ratio[$store]=$(hit_ratios "$before" "$(cache_counters)")
  stop_dev
done

sum() { awk '{s += $1} END {printf "%.1f", s}'; }
geo() { awk '{s += log($1); n++} END {printf "%.1f", exp(s / n)}'; }
printf '%-5s %10s %10s %12s %12s %10s\n' query local-cold local-warm minio-cold minio-disk minio-warm
for q in $(seq 1 22); do
  printf 'q%02d   %10s %10s %12s %12s %10s\n' "$q" "${cold[local,$q]}" "${warm[local,$q]}" "${cold[minio,$q]}" "${diskwarm[minio,$q]}" "${warm[minio,$q]}"
done
for f in sum geo; do
  row=()
  for col in "cold local" "warm local" "cold minio" "diskwarm minio" "warm minio"; do
    set -- $col
    row+=("$(for q in $(seq 1 22); do eval "echo \${$1[$2,$q]}"; done | $f)")
  done
  printf '%-5s %10s %10s %12s %12s %10s\n' "$f" "${row[@]}"
done
echo "warm runs' cache hits: local: ${ratio[local]}; minio: ${ratio[minio]}"
