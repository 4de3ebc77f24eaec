"""`make dev`: the UI and daemon on a persistent DAGSTER_HOME, its GraphQL API, and a backfill launched as the UI does.

One `make dev` serves the whole module (starting it costs ~40 s): the tests read the definitions and the
instance through GraphQL, launch a date-range backfill with the UI's own mutation and let the daemon run
it, then run the runbook's read commands (`pra summary`, `pra versions`, `pra rollback`) on its output.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.contract import ENTITIES
from orchestration.lib.dagster_storage import instance_config
from orchestration.lib.windows import RANGE_END_TAG, RANGE_START_TAG
from tests.helpers import PipelineDirs, environ, query, stop_process_group

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
JOB = "partner_retention_nightly_job"
# Eight generated days; the backfill takes the first four (the 2024-01-01 partner snapshot among them),
# so rows of the other four must stay out of the raw tables.
GENERATED_DAYS = 8
FIRST, LAST = date(2024, 1, 1), date(2024, 1, 4)
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

DEFINITIONS_QUERY = """
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
INSTANCE_QUERY = """
{
  instance {
    hasInfo
    info
    runQueuingSupported
    poolConfig { poolGranularity defaultPoolLimit }
    daemonHealth { allDaemonStatuses { daemonType required } }
  }
}
"""
# What the job page's "Materialize all" needs: the repository, the job's partition set and its assets.
LAUNCH_TARGET_QUERY = """
query ($job: String!, $repo: String!, $location: String!) {
  partitionSetsOrError(pipelineName: $job, repositorySelector: {repositoryName: $repo,
                                                                repositoryLocationName: $location}) {
    ... on PartitionSets { results { name } }
  }
  assetNodes(pipeline: {pipelineName: $job, repositoryName: $repo, repositoryLocationName: $location}) {
    assetKey { path }
  }
}
"""
# The mutation the UI sends (dagster-ui LaunchAssetChoosePartitionsDialog, target type "job").
LAUNCH_BACKFILL_MUTATION = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionSetNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""
RUNS_QUERY = """
query ($key: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query_text: str, variables: dict | None = None) -> dict:
    """POST one GraphQL request to the webserver; fails the test on GraphQL errors."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query_text, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert not body.get("errors"), body["errors"]
    return body["data"]


@dataclass
class DevServer:
    """A running `make dev` and the folders it works on."""

    port: int
    home: Path
    dirs: PipelineDirs
    log: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`make dev` on a free port, a fresh DAGSTER_HOME and a small landing folder; stopped afterwards."""
    from demo.generator import generate

    root = tmp_path_factory.mktemp("make_dev")
    dirs = PipelineDirs(root)
    generate(dirs.landing, "small", days=GENERATED_DAYS)
    home = root / "dagster_home"  # not created here: `make dev` must create it and copy dagster.yaml
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PRA_", "DAGSTER_")) and k != "MAKEFLAGS"
    }
    env |= {**dirs.env(), "DAGSTER_HOME": str(home)}
    log = root / "make_dev.log"
    with log.open("w") as out:
        # `-o .venv/.installed`: never reinstall the venv from a test, even if pyproject.toml is newer.
        proc = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "dev", f"DEV_PORT={port}", "DEV_HOST=127.0.0.1"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if graphql(port, DEFINITIONS_QUERY).get("repositoriesOrError", {}).get("nodes"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "webserver not ready in 180 s:\n" + log.read_text()[-3000:]
            time.sleep(2)
        yield DevServer(port, home, dirs, log, env)
    finally:
        # dagster dev, its webserver, daemon and code servers share make's process group. SIGINT is the
        # Ctrl-C `dagster dev` expects (it stops its children itself); SIGTERM took a minute to end them.
        stop_process_group(proc, signal.SIGINT)


def test_make_dev_lists_assets_checks_schedules_and_sensors(dev_server: DevServer):
    data = graphql(dev_server.port, DEFINITIONS_QUERY)
    repo = data["repositoriesOrError"]["nodes"][0]
    assert {j["name"] for j in repo["jobs"]} >= {JOB}
    assert {s["name"] for s in repo["schedules"]} == {
        "partner_retention_nightly_schedule",
        "partner_retention_weekly_full_rebuild_schedule",
    }
    assert {s["name"] for s in repo["sensors"]} == {
        "partner_retention_late_data_sensor",
        "partner_retention_failure_alert_sensor",
        "partner_retention_alert_outbox_sensor",
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


def test_make_dev_serves_the_persistent_home_with_the_committed_dagster_yaml(dev_server: DevServer):
    # make created DAGSTER_HOME and wrote the committed file into it, with the default (SQLite) storage block ...
    assert (dev_server.home / "dagster.yaml").read_text() == instance_config("sqlite")
    assert (dev_server.home / "dagster.yaml").read_text().startswith((REPO / "dagster.yaml").read_text())
    # ... and the running instance is configured by it (Dagster's defaults differ on every line below).
    instance = graphql(dev_server.port, INSTANCE_QUERY)["instance"]
    assert instance["poolConfig"]["defaultPoolLimit"] == 1
    assert instance["runQueuingSupported"]  # the daemon's run queue, not in-process execution
    required = {d["daemonType"] for d in instance["daemonHealth"]["allDaemonStatuses"] if d["required"]}
    assert {"SCHEDULER", "SENSOR", "BACKFILL", "QUEUED_RUN_COORDINATOR", "MONITORING"} <= required
    if instance["hasInfo"]:
        assert "max_retries: 2" in instance["info"] and "max_runtime_seconds: 7200" in instance["info"]
    # Runs, events and schedules are SQLite files in that home, so they survive a restart.
    assert (dev_server.home / "history" / "runs.db").exists()
    assert (dev_server.home / "schedules" / "schedules.db").exists()


def landing_rows(landing: Path, entity: str, first: date, last: date) -> int:
    """Data rows of one entity's landing CSV files for the days first..last, counted with the csv module."""
    rows = 0
    for day in (first + timedelta(days=i) for i in range((last - first).days + 1)):
        for path in sorted((landing / entity / f"dt={day.isoformat()}").glob("*.csv")):
            with path.open(newline="", encoding="utf-8-sig") as fh:
                rows += sum(1 for _ in csv.reader(fh)) - 1
    return rows


def wait_for_runs(port: int, tag: str, value: str, timeout: float = 600) -> list[dict]:
    """The runs carrying the tag, once there is at least one and every one of them has finished.

    A deadline, not a speed test: a 4-day run takes one to two minutes alone, and five on a 2-core machine busy with
    other suites (measured: not finished in 300 s beside a PostgreSQL engine test)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = graphql(port, RUNS_QUERY, {"key": tag, "value": value})["runsOrError"]["results"]
        if runs and all(r["status"] in FINISHED for r in runs):
            return runs
        assert time.monotonic() < deadline, f"runs {tag}={value} not finished in {timeout} s: {runs}"
        time.sleep(3)


@pytest.fixture(scope="module")
def ui_backfill(dev_server: DevServer) -> list[dict]:
    """Launch FIRST..LAST from the job page ("Materialize all", a partition range) and wait for its runs."""
    port = dev_server.port
    repo = graphql(port, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")
    node = repo["repositoriesOrError"]["nodes"][0]
    variables = {"job": JOB, "repo": node["name"], "location": node["location"]["name"]}
    target = graphql(port, LAUNCH_TARGET_QUERY, variables)
    (partition_set,) = target["partitionSetsOrError"]["results"]
    days = [(FIRST + timedelta(days=i)).isoformat() for i in range((LAST - FIRST).days + 1)]
    params = {
        "tags": [],
        "assetSelection": [{"path": n["assetKey"]["path"]} for n in target["assetNodes"]],
        "partitionNames": days,
        "fromFailure": False,
        "selector": {
            "partitionSetName": partition_set["name"],
            "repositorySelector": {"repositoryName": node["name"], "repositoryLocationName": node["location"]["name"]},
        },
    }
    launched = graphql(port, LAUNCH_BACKFILL_MUTATION, {"backfillParams": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return wait_for_runs(port, "dagster/backfill", launched["backfillId"])


def test_ui_backfill_of_a_range_is_one_run_that_loads_exactly_those_days(dev_server: DevServer, ui_backfill):
    (run,) = ui_backfill  # single-run backfill policy: one run for the four days, not four runs
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert run["status"] == "SUCCESS", dev_server.log.read_text()[-3000:]
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == (FIRST.isoformat(), LAST.isoformat())
    assert "dagster/partition" not in tags
    # The run worker ran every step itself (the jobs' in-process executor): no process per step.
    from orchestration.definitions import defs

    home = dev_server.env["DAGSTER_HOME"]
    with environ({"DAGSTER_HOME": home}), dg.DagsterInstance.from_config(home) as instance:
        records = instance.get_records_for_run(run["runId"]).records
    events = [r.event_log_entry.dagster_event for r in records if r.event_log_entry.dagster_event is not None]
    kinds = [event.event_type_value for event in events]
    steps = {event.step_key for event in events if event.event_type_value == "STEP_START"}
    with environ(dev_server.env):
        assert steps == set(defs().resolve_job_def(JOB).graph.node_names())  # every step of the job ran
    assert "STEP_WORKER_STARTED" not in kinds

    dirs = dev_server.dirs
    for entity in ENTITIES:
        expected = landing_rows(dirs.landing, entity, FIRST, LAST)
        loaded = query(dirs.work_db, f"select count(*), min(_partition_date), max(_partition_date) from raw.{entity}")
        assert loaded[0][0] == expected, entity
        if expected:
            assert loaded[0][1] >= FIRST and loaded[0][2] <= LAST, entity
    # The days after the range did land; they are simply not part of this backfill.
    assert landing_rows(dirs.landing, "transactions", LAST + timedelta(days=1), FIRST + timedelta(days=7)) > 0
    assert landing_rows(dirs.landing, "transactions", FIRST, LAST) > 0

    from orchestration.defs.transformation.assets import build_dbt_assets, published_mart_keys
    from orchestration.lib.publish import read_log

    (entry,) = read_log(dirs.warehouse / "published")
    assert entry["run_id"] == run["runId"]
    stable = dirs.warehouse / "marts.duckdb"
    published = {r[0] for r in query(stable, "select table_name from information_schema.tables")}
    assert set(published_mart_keys(build_dbt_assets())) <= published
    assert query(stable, "select max(as_of_date) from fct_partner_monthly") == [(LAST,)]


def pra(server: DevServer, *args: str, warehouse: Path | None = None) -> subprocess.CompletedProcess:
    """Run a `pra` command as on call would, against the module's landing folder and warehouse."""
    env = {**server.env, "PRA_WAREHOUSE_DIR": str(warehouse or server.dirs.warehouse)}
    env.pop("DAGSTER_HOME")
    return subprocess.run([str(BIN / "pra"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_pra_summary_versions_and_rollback_on_the_backfilled_warehouse(dev_server: DevServer, ui_backfill, tmp_path):
    summary = pra(dev_server, "summary")
    assert summary.returncode == 0, summary.stderr
    raw = {line.split()[0]: line.split()[1] for line in summary.stdout.splitlines()[1:8]}
    expected = landing_rows(dev_server.dirs.landing, "transactions", FIRST, LAST)
    assert int(raw["transactions"].replace(",", "")) == expected
    assert f"as of {LAST.isoformat()}:" in summary.stdout

    versions = pra(dev_server, "versions")
    assert versions.returncode == 0, versions.stderr
    assert versions.stdout.splitlines()[-1].split()[:3] == ["*", "1", "publish"]

    # Roll back on a copy: the module's published folder stays as the backfill left it.
    copy = tmp_path / "warehouse"
    shutil.copytree(dev_server.dirs.warehouse, copy)
    rolled = pra(dev_server, "rollback", "1", warehouse=copy)
    assert rolled.returncode == 0, rolled.stderr
    log = query(copy / "marts.duckdb", "select version, event from publish_log order by entry_number")
    assert log == [(1, "publish"), (1, "rollback")]
    # The runbook's "what changed in the last publish" query runs on the published file (nothing restated yet).
    with duckdb.connect(str(copy / "marts.duckdb"), read_only=True) as con:
        assert con.execute(
            "select * from publish_restatements where version = (select max(version) from publish_log)"
        ).fetchall() == []
