#!/bin/sh
# Debian packages the tests need besides .venv, installed by `make test` and `make test-engines` (as root on
# CI, where apt-get is available):
#   chromium               renders the Dagster UI and the KPI report for the browser tests (tests/e2e/);
#   postgresql             a real server on 127.0.0.1 for the PostgreSQL tests (tests/postgres_server.py);
#   openjdk-17-jre-headless  Java for the local Spark session of the Spark tests (docs/scale-out.md).
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
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
