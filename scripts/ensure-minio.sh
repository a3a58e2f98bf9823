#!/usr/bin/env bash
# Installs the MinIO server (a pinned version, with `go install`) when it is
# missing. Tests (internal/miniotest) and scripts/minio.sh look for it in the
# same places, in this order: $MINIO_BIN, `go env GOBIN`, `go env GOPATH`/bin,
# then PATH.
#
#   scripts/ensure-minio.sh           install if missing; quiet when present
#   scripts/ensure-minio.sh --path    also print the binary's path on stdout
set -euo pipefail

VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

# find_minio prints the path of an installed MinIO server binary, or fails.
find_minio() {
  local dirs=() gopaths=() p d
  if command -v go >/dev/null 2>&1; then
    p=$(go env GOBIN)
    if [ -n "$p" ]; then dirs+=("$p"); fi
    IFS=: read -r -a gopaths <<<"$(go env GOPATH)"
    for p in "${gopaths[@]}"; do dirs+=("$p/bin"); done
  fi
  for d in "${dirs[@]}"; do
    if [ -x "$d/minio" ]; then echo "$d/minio"; return 0; fi
  done
  command -v minio
}

if [ -n "${MINIO_BIN:-}" ]; then
  [ -x "$MINIO_BIN" ] || { echo "ensure-minio: MINIO_BIN=$MINIO_BIN is not executable" >&2; exit 1; }
  bin=$MINIO_BIN
elif ! bin=$(find_minio); then
  command -v go >/dev/null 2>&1 || { echo "ensure-minio: Go is needed to install the MinIO server" >&2; exit 1; }
  echo "installing the MinIO server (go install github.com/minio/minio@$VERSION); this takes a few minutes" >&2
  go install "github.com/minio/minio@$VERSION"
  bin=$(find_minio) || { echo "ensure-minio: minio not found after go install (is GOBIN or GOPATH/bin writable?)" >&2; exit 1; }
fi
if [ "${1:-}" = --path ]; then echo "$bin"; fi
