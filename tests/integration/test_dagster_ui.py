"""`make dev`'s webserver starts with a persistent DAGSTER_HOME and its GraphQL API lists the definitions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection { nodes { name jobs { name } schedules { name } sensors { name } } }
  }
  assetNodes {
    assetKey { path }
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def dagster_dev(tmp_path: Path):
    """`dagster dev` as `make dev` runs it, in its own process group; stopped afterwards."""
    from orchestration.cli import build_manifest

    build_manifest()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PRA_HOME": str(tmp_path),
        "PRA_LANDING_DIR": str(tmp_path / "landing"),
        "PRA_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }
    log = (tmp_path / "dagster_dev.log").open("w")
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.Popen(
        [dagster, "dev", "-w", "workspace.yaml", "-p", str(port), "-h", "127.0.0.1"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "dagster_dev.log").read_text()[-3000:]
            try:
                data = graphql(port, QUERY)
                if data.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "webserver not ready in 120 s"
            time.sleep(2)
        yield port, home
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def test_webserver_lists_assets_checks_schedules_and_sensors(dagster_dev):
    port, home = dagster_dev
    data = graphql(port, QUERY)["data"]
    repo = data["repositoriesOrError"]["nodes"][0]
    assert {j["name"] for j in repo["jobs"]} >= {"partner_retention_nightly_job"}
    assert {s["name"] for s in repo["schedules"]} == {
        "partner_retention_nightly_schedule",
        "partner_retention_weekly_full_rebuild_schedule",
    }
    assert {s["name"] for s in repo["sensors"]} == {
        "partner_retention_late_data_sensor",
        "partner_retention_failure_alert_sensor",
    }
    assets = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {"raw/transactions", "staging/stg_program__transactions", "marts/fct_partner_monthly",
            "published_marts"} <= set(assets)
    checks = {
        (key, c["name"])
        for key, node in assets.items()
        for c in (node["assetChecksOrError"] or {}).get("checks", [])
    }
    assert ("raw/transactions", "landing_is_fresh") in checks
    assert ("marts/fct_partner_monthly", "fct_partner_monthly__publish") in checks
    # The instance is the persistent one from dagster.yaml, not a throw-away temp directory.
    assert (home / "history").exists() or (home / "storage").exists()
