"""The warehouse pool's single slot with in-process runs (`pra backfill`, `dagster job execute`) on one DAGSTER_HOME.

A two-step toy job in the pool `duckdb_work_warehouse` stands in for the pipeline, so the behaviour of the
slot is measured in seconds: the committed dagster.yaml (limit 1) on a temporary DAGSTER_HOME.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time
from dagster._daemon.monitoring.concurrency import execute_concurrency_slots_iteration

from orchestration.lib.dagster_storage import write_instance_config
from tests.helpers import environ

POOL = "duckdb_work_warehouse"
REPO = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).parent / "dagster")

pytestmark = pytest.mark.serial


def _pause() -> None:
    """Test hook: write a marker file, then hold the slot for a while (or until a release file appears)."""
    marker = os.environ.get("POOL_TEST_MARKER")
    if marker:
        Path(marker).write_text(os.environ.get("POOL_TEST_RUN_LABEL", "started"))
    release = os.environ.get("POOL_TEST_RELEASE")
    if release:
        deadline = time.monotonic() + 120
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return
    time.sleep(float(os.environ.get("POOL_TEST_SLEEP", "1")))


@dg.op(pool=POOL)
def load_window() -> int:
    """First warehouse write of the toy run."""
    _pause()
    return 1


@dg.op(pool=POOL)
def build_models(loaded: int) -> int:
    """Second warehouse write of the toy run."""
    time.sleep(1)
    return loaded


@dg.job
def pool_job():
    """Two steps that write the warehouse, like ingestion then dbt."""
    build_models(load_window())


def start_run(home: Path, log: Path, **env: str) -> subprocess.Popen:
    """`dagster job execute` of the toy job in its own process group, recorded in `home`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("POOL_TEST_")}
    full_env |= {"DAGSTER_HOME": str(home), **env}
    return subprocess.Popen(
        [DAGSTER, "job", "execute", "-f", __file__, "-j", "pool_job"],
        cwd=REPO,
        env=full_env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def home_with_committed_yaml(tmp_path: Path) -> Path:
    """A DAGSTER_HOME set up as `make dev` sets it up."""
    home = tmp_path / "dagster_home"
    write_instance_config(home, "sqlite")
    return home


def test_two_in_process_runs_on_one_home_take_turns_on_the_slot(tmp_path: Path):
    home = home_with_committed_yaml(tmp_path)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    marker, release = tmp_path / "a_holds_the_slot", tmp_path / "release"
    # A holds the slot until told; B starts only once A holds it, so the two always meet at the pool.
    first = start_run(home, logs[0], POOL_TEST_MARKER=str(marker), POOL_TEST_RELEASE=str(release))
    runs = [first]
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert first.poll() is None and time.monotonic() < deadline, logs[0].read_text()[-2000:]
            time.sleep(0.2)
        second = start_run(home, logs[1], POOL_TEST_SLEEP="0")
        runs.append(second)
        while "blocked by limit for pool" not in logs[1].read_text().lower():
            assert second.poll() is None and time.monotonic() < deadline + 60, logs[1].read_text()[-2000:]
            time.sleep(0.2)
        release.touch()
        codes = [first.wait(120), second.wait(120)]
        assert codes == [0, 0], "\n".join(log.read_text()[-2000:] for log in logs)
    finally:
        for run in runs:  # never leave a run behind holding the slot (or a core)
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)


def test_a_killed_run_keeps_its_slot_until_it_is_freed(tmp_path: Path):
    home = home_with_committed_yaml(tmp_path)
    marker = tmp_path / "holding"
    killed = start_run(home, tmp_path / "killed.log", POOL_TEST_SLEEP="600", POOL_TEST_MARKER=str(marker))
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert killed.poll() is None and time.monotonic() < deadline, (tmp_path / "killed.log").read_text()
        time.sleep(0.5)
    os.killpg(killed.pid, signal.SIGKILL)  # holds the slot, like a killed `pra backfill`
    killed.wait(10)

    waiting = start_run(home, tmp_path / "waiting.log", POOL_TEST_SLEEP="0")
    try:
        time.sleep(8)  # the toy run needs about 2 s once it has the slot
        assert waiting.poll() is None, (tmp_path / "waiting.log").read_text()[-2000:]  # still blocked
        with environ({"DAGSTER_HOME": str(home)}), dg.DagsterInstance.from_config(str(home)) as instance:
            (dead_id,) = instance.event_log_storage.get_concurrency_info(POOL).active_run_ids
            # Terminate (force) in the UI only marks the run canceled: the slot stays claimed ...
            instance.report_run_canceled(instance.get_run_by_id(dead_id))
            assert instance.event_log_storage.get_concurrency_info(POOL).active_run_ids == {dead_id}
            # ... until it is freed: here by the daemon's run-monitoring iteration on the committed
            # free_slots_after_run_end_seconds (60), evaluated as if 61 s had passed since the run ended.
            ended = instance.get_run_record_by_id(dead_id).end_time
            daemon_context = SimpleNamespace(instance=instance)  # the iteration only reads `.instance`
            with freeze_time(ended + 30):
                list(execute_concurrency_slots_iteration(daemon_context, logging.getLogger("test")))
            assert instance.event_log_storage.get_concurrency_info(POOL).active_run_ids == {dead_id}
            with freeze_time(ended + 61):
                list(execute_concurrency_slots_iteration(daemon_context, logging.getLogger("test")))
            assert instance.event_log_storage.get_concurrency_info(POOL).active_run_ids == set()
        assert waiting.wait(90) == 0, (tmp_path / "waiting.log").read_text()[-2000:]
    finally:
        if waiting.poll() is None:
            os.killpg(waiting.pid, signal.SIGKILL)
