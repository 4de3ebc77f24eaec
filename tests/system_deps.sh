#!/bin/sh
# Debian packages the tests need besides .venv: chromium renders the Dagster UI for
# tests/e2e/test_asset_page_browser.py. Run by `make test` (as root on CI, where apt-get is available).
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # A developer machine without root or apt: the browser test skips and says why (on CI, with CI set, it fails).
  echo "tests/system_deps.sh: chromium missing and not installable here (needs root and apt-get)" >&2
  exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
