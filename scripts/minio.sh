#!/usr/bin/env bash
# Runs a MinIO server on loopback for Cirrus, with its objects under
# $DATA/minio/data, and makes sure its bucket exists.
#
#   scripts/minio.sh start    start it (if not running), wait until it is healthy, create the bucket
#   scripts/minio.sh stop     stop the server whose pid is in the pid file
#
# Settings (environment):
#   DATA                 default ./data (relative paths are from the repository root)
#   MINIO_ADDR           S3 API address, default 127.0.0.1:9000
#   MINIO_CONSOLE_ADDR   web console address, default 127.0.0.1:9001
#   MINIO_ROOT_USER      default minioadmin (Cirrus's AWS_ACCESS_KEY_ID)
#   MINIO_ROOT_PASSWORD  default minioadmin (AWS_SECRET_ACCESS_KEY)
#   MINIO_BUCKET         bucket to create, default cirrus
#   MINIO_PIDFILE        default $DATA/minio/minio.pid
#   MINIO_LOG            default $DATA/minio/minio.log
#   MINIO_BIN            the server binary (default: see scripts/ensure-minio.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
DATA=${DATA:-./data}
ADDR=${MINIO_ADDR:-127.0.0.1:9000}
CONSOLE=${MINIO_CONSOLE_ADDR:-127.0.0.1:9001}
USER_=${MINIO_ROOT_USER:-minioadmin}
PASSWORD=${MINIO_ROOT_PASSWORD:-minioadmin}
BUCKET=${MINIO_BUCKET:-cirrus}
DIR=$DATA/minio
PIDFILE=${MINIO_PIDFILE:-$DIR/minio.pid}
LOG=${MINIO_LOG:-$DIR/minio.log}

# running: is the process in the pid file a MinIO server?
running() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q minio
}

healthy() { curl -sf -o /dev/null --max-time 2 "http://$ADDR/minio/health/live"; }

# create_bucket: PUT the bucket, signed with AWS SigV4 by curl itself.
create_bucket() {
  local out code
  out=$(mktemp)
  code=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$USER_:$PASSWORD" -X PUT "http://$ADDR/$BUCKET") || code=000
  case $code in
  200) echo "created bucket $BUCKET" ;;
  409) grep -q BucketAlreadyOwnedByYou "$out" || { echo "minio: bucket $BUCKET: $(cat "$out")" >&2; rm -f "$out"; exit 1; } ;;
  *) echo "minio: creating bucket $BUCKET failed (HTTP $code): $(cat "$out")" >&2; rm -f "$out"; exit 1 ;;
  esac
  rm -f "$out"
}

case $cmd in
start)
  mkdir -p "$DIR/data" "$(dirname "$PIDFILE")" "$(dirname "$LOG")"
  if running; then
    echo "MinIO is running (pid $(cat "$PIDFILE"))"
  else
    if healthy; then
      echo "minio: something else already answers at $ADDR; set MINIO_ADDR" >&2
      exit 1
    fi
    bin=$(./scripts/ensure-minio.sh --path)
    MINIO_ROOT_USER=$USER_ MINIO_ROOT_PASSWORD=$PASSWORD MINIO_UPDATE=off \
      nohup setsid "$bin" server "$DIR/data" --address "$ADDR" --console-address "$CONSOLE" \
      >>"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
    for _ in $(seq 1 300); do
      healthy && break
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$PIDFILE"
        echo "minio: the server exited; the end of $LOG:" >&2
        tail -n 20 "$LOG" >&2
        exit 1
      fi
      sleep 0.1
    done
    healthy || { echo "minio: not healthy after 30 s; see $LOG" >&2; exit 1; }
    echo "MinIO started (pid $pid): S3 API http://$ADDR, console http://$CONSOLE; data $DIR/data, log $LOG"
  fi
  create_bucket
  ;;
stop)
  if ! running; then
    echo "MinIO is not running"
    rm -f "$PIDFILE"
    exit 0
  fi
  pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "minio: pid $pid did not exit after 10 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  echo "MinIO stopped"
  ;;
*)
  echo "usage: scripts/minio.sh start|stop" >&2
  exit 2
  ;;
esac
