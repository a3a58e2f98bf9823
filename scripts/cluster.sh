#!/usr/bin/env bash
# A local Cirrus deployment as separate OS processes, configured by one file
# (default deploy/local/cluster.conf; its comments document every setting).
#
#   scripts/cluster.sh start [NAME] [CONF]    start everything (or NAME) that is not running
#   scripts/cluster.sh stop [NAME] [CONF]     stop everything (or NAME), by pid
#   scripts/cluster.sh restart NAME [CONF]
#   scripts/cluster.sh status [CONF]
#   scripts/cluster.sh tpch-load SF [CONF]    generate and load TPC-H at scale factor SF
#
# NAME: minio, metad, participant-N, coordinator-N (N from 1).
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}; shift || true
name=""
if [ $# -gt 0 ] && [ ! -f "$1" ] && [ "$cmd" != tpch-load ]; then name=$1; shift; fi
sf=""
if [ "$cmd" = tpch-load ]; then sf=${1:?usage: cluster.sh tpch-load SF [CONF]}; shift; fi
conf=${1:-deploy/local/cluster.conf}
# shellcheck source=../deploy/local/cluster.conf
. "$conf"

mkdir -p "$DATA/logs" "$DATA/pids"
DATA=$(cd "$DATA" && pwd)
read -r -a parts <<<"$PARTICIPANTS"
read -r -a coords <<<"$COORDINATORS"
export AWS_ACCESS_KEY_ID=$MINIO_ROOT_USER AWS_SECRET_ACCESS_KEY=$MINIO_ROOT_PASSWORD
storage_flags=(--storage "s3://$BUCKET/$PREFIX" --s3-endpoint "$MINIO_ADDR" --s3-tls=false)

names() {
  echo minio
  echo metad
  for i in "${!parts[@]}"; do echo "participant-$((i + 1))"; done
  for i in "${!coords[@]}"; do echo "coordinator-$((i + 1))"; done
}

pidfile() { echo "$DATA/pids/$1.pid"; }

running() {
  local f; f=$(pidfile "$1")
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# wait_ready NAME URL: poll a health URL until it answers 200 (60 s).
wait_ready() {
  local n=$1 url=$2
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! running "$n"; then
      echo "$n exited; last lines of $DATA/logs/$n.log:" >&2
      tail -n 20 "$DATA/logs/$n.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$n not ready after 60 s ($url); see $DATA/logs/$n.log" >&2
  return 1
}

# spawn NAME ARGS...: start a cirrus role in the background, detached.
spawn() {
  local n=$1; shift
  nohup setsid "$CIRRUS" "$@" >>"$DATA/logs/$n.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$n")"
}

start_one() {
  local n=$1
  if running "$n"; then echo "$n is running (pid $(cat "$(pidfile "$n")"))"; return 0; fi
  case $n in
  minio)
    DATA=$DATA MINIO_ADDR=$MINIO_ADDR MINIO_CONSOLE_ADDR=$MINIO_CONSOLE_ADDR MINIO_ROOT_USER=$MINIO_ROOT_USER \
      MINIO_ROOT_PASSWORD=$MINIO_ROOT_PASSWORD MINIO_BUCKET=$BUCKET MINIO_PIDFILE="$(pidfile minio)" \
      MINIO_LOG="$DATA/logs/minio.log" ./scripts/minio.sh start
    return 0 ;;
  metad)
    spawn metad metad --listen "$METAD_ADDR" --etcd-dir "$DATA/metad/etcd" \
      --etcd-listen "$ETCD_CLIENT_ADDR" --etcd-peer "$ETCD_PEER_ADDR" --http "127.0.0.1:$HTTP_BASE_PORT"
    wait_ready metad "http://127.0.0.1:$HTTP_BASE_PORT/readyz" ;;
  participant-*)
    local i=${n#participant-}
    local addr=${parts[$((i - 1))]:?no participant $i in $conf}
    spawn "$n" participant --listen "$addr" --metad "$METAD_ADDR" --data "$DATA/$n" "${storage_flags[@]}" \
      --cache-size "$CACHE_SIZE" --memory-cache "$MEMORY_CACHE" --http "127.0.0.1:$((HTTP_BASE_PORT + i))"
    wait_ready "$n" "http://127.0.0.1:$((HTTP_BASE_PORT + i))/readyz" ;;
  coordinator-*)
    local i=${n#coordinator-}
    local addr=${coords[$((i - 1))]:?no coordinator $i in $conf}
    local plist; plist=$(IFS=,; echo "${parts[*]}")
    spawn "$n" coordinator --listen "$addr" --metad "$METAD_ADDR" --participants "$plist" --data "$DATA/$n" \
      "${storage_flags[@]}" --http "127.0.0.1:$((HTTP_BASE_PORT + 10 + i))"
    wait_ready "$n" "http://127.0.0.1:$((HTTP_BASE_PORT + 10 + i))/readyz" ;;
  *) echo "unknown process $n" >&2; return 2 ;;
  esac
  echo "$n started (pid $(cat "$(pidfile "$n")"))"
}

stop_one() {
  local n=$1 f; f=$(pidfile "$n")
  if ! running "$n"; then rm -f "$f"; return 0; fi
  local pid; pid=$(cat "$f")
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -f "$f"
  echo "$n stopped"
}

case $cmd in
start)
  if [ -n "$name" ]; then start_one "$name"; exit; fi
  for n in $(names); do start_one "$n"; done
  echo "Cirrus cluster is up. Connect with:"
  for a in "${coords[@]}"; do echo "  psql -h ${a%:*} -p ${a##*:} -U cirrus cirrus"; done ;;
stop)
  if [ -n "$name" ]; then stop_one "$name"; exit; fi
  for n in $(names | tac); do stop_one "$n"; done ;;
restart)
  stop_one "${name:?usage: cluster.sh restart NAME}"; start_one "$name" ;;
status)
  for n in $(names); do
    if running "$n"; then echo "$n running (pid $(cat "$(pidfile "$n")"))"; else echo "$n stopped"; fi
  done ;;
tpch-load)
  "$CIRRUS" tpch load --sf "$sf" --dsn "postgres://cirrus@${coords[0]}/cirrus?sslmode=disable" \
    --metad "$METAD_ADDR" "${storage_flags[@]}" ;;
*)
  sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
