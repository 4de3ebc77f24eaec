#!/bin/sh
# Debian packages the tests need besides .venv, installed when missing (as root on CI, where apt-get is available).
# Each make target asks only for what its own tests use, so `make test` does not pay for the engines' packages:
#   browser  chromium: renders the Dagster UI and the KPI report for the browser tests (tests/e2e/); `make test`.
#   engines  postgresql: a real server on 127.0.0.1 for the PostgreSQL tests (tests/postgres_server.py), and
#            openjdk-17-jre-headless: Java for the local Spark session of the Spark tests (docs/scale-out.md);
#            `make test-engines` (and by hand before `make bench BENCH_ARGS=--engines`).
# Usage: sh tests/system_deps.sh [browser] [engines]   (no argument: both)
set -eu
[ $# -gt 0 ] || set -- browser engines
missing=""
for group in "$@"; do
  case "$group" in
    browser)
      [ -x /usr/bin/chromium ] || missing="$missing chromium" ;;
    engines)
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
      command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless" ;;
    *)
      echo "tests/system_deps.sh: unknown group '$group' (browser, engines)" >&2
      exit 2 ;;
  esac
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # A developer machine without root or apt: the tests that need them skip and say why (on CI, with CI set,
  # they fail).
  echo "tests/system_deps.sh:$missing missing and not installable here (needs root and apt-get)" >&2
  exit 0
fi
apt-get update
# The postgresql package would start a cluster of its own on port 5432: the tests start their own servers.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for cluster in $(pg_lsclusters -h 2>/dev/null | awk '{print $1 "/" $2}'); do
    pg_ctlcluster "${cluster%/*}" "${cluster#*/}" stop 2>/dev/null || true
  done
fi
