#!/usr/bin/env bash
# Installs the PostgreSQL 15 server and psql when missing. Tests use them as
# the oracle for results and as a real protocol client; they start their own
# private server on a free loopback port and never touch another instance.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/postgres ] && command -v psql >/dev/null 2>&1; then
  exit 0
fi
echo "installing PostgreSQL 15 (server binaries and psql) for the tests"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 postgresql-client-15 >/dev/null
