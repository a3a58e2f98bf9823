#!/usr/bin/env bash
# Installs the PostgreSQL client drivers and tools the driver suites
# (internal/drivers) run against Cirrus and PostgreSQL 15, when missing:
# pgjdbc (Debian's jar under /usr/share/java, run with the JDK's java),
# psycopg2 and psycopg 3 for Debian's /usr/bin/python3, and pgbench.
set -euo pipefail

missing=()
[ -e /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || missing+=(python3-psycopg2)
/usr/bin/python3 -c 'import psycopg' >/dev/null 2>&1 || missing+=(python3-psycopg)
[ -x /usr/lib/postgresql/15/bin/pgbench ] || missing+=(postgresql-client-15)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing ${missing[*]} for the driver tests"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
