"""Helpers (not tests) for the quality-gate and publication tests.

Fixtures: one short small-preset landing folder and one healthy pipeline run that published version 1,
shared by both test files; tests clone that warehouse instead of running the pipeline again.
Also runnable as a script, so a test can SIGKILL a real pipeline or read the published file from another
process: `python -m tests.integration.wap_helpers run <root> [<pause point> <marker file>]` /
`read <stable.duckdb> <out.jsonl> <stop-file>`. The pause points are test-only fault injection: the
script wraps a production function in its own process before the run, so production code has no hooks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib.dagster_storage import ephemeral_instance
from tests.helpers import PipelineDirs, built_once_per_session, environ, run_pipeline

REPO = Path(__file__).resolve().parents[2]
LANDING_DAYS = 60  # two months: every mart has complete months, and a pipeline run stays short

# The partner-month facts and tiers: marts.fct_partner_monthly and marts.fct_partner_tiers_monthly are views on them
# in the work file (dbt macro view_materialization), so a test that changes those marts changes these.
FACTS = "intermediate.int_partner_months_aggregated"
TIERS = "intermediate.int_partner_months_tiered"


@pytest.fixture(scope="session")
def wap_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short small-preset landing folder (LANDING_DAYS days, read-only for tests), one per session."""

    def build(root: Path) -> None:
        from demo.generator import generate

        generate(root / "landing", "small", days=LANDING_DAYS)

    return built_once_per_session(tmp_path_factory, "wap_landing", build) / "landing"


@pytest.fixture(scope="session")
def published_pipeline(tmp_path_factory: pytest.TempPathFactory, wap_landing: Path) -> PipelineDirs:
    """A pipeline run through Dagster that passed its gates and published version 1 (clone before changing), one
    per session: the test files that import this fixture, on whichever xdist worker, share it."""

    def build(root: Path) -> None:
        dirs = PipelineDirs(root)
        dirs.landing.symlink_to(wap_landing)
        result = run_pipeline(dirs, *dirs.landing_range())
        assert result.success, "the healthy pipeline run failed; see the Dagster log above"

    return PipelineDirs(built_once_per_session(tmp_path_factory, "wap_published", build))


def clone(dirs: PipelineDirs, dest: Path) -> PipelineDirs:
    """A private copy of a pipeline's warehouse (work + published versions) sharing its landing folder."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(dirs.warehouse, dest / "warehouse", symlinks=True)
    (dest / "landing").symlink_to(dirs.landing.resolve())
    return PipelineDirs(dest)


def stable_db(dirs: PipelineDirs) -> Path:
    return dirs.warehouse / "marts.duckdb"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_files(dirs: PipelineDirs) -> dict[str, int]:
    """sha256 of every kept version's marts.duckdb -> version number."""
    return {sha256(p / "marts.duckdb"): int(p.name[1:]) for p in (dirs.warehouse / "published").glob("v[0-9]*")}


def gate_and_publish(
    dirs: PipelineDirs,
    *,
    allow_volume_jump: bool = False,
    tags: dict[str, str] | None = None,
    marts: Sequence[str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run only the publish gates and the publication step (dbt not re-run) on a warehouse's current marts; `tags`:
    those a dbt step of the same run would have set (e.g. the rows its tests read); `marts`: only their gates (all
    by default), as when the other marts' gates passed: the publication waits for the gates in its run."""
    from orchestration.definitions import defs
    from orchestration.defs.jobs import run_options
    from orchestration.defs.quality.checks import WARNINGS_SUFFIX, gate_check_name

    with environ(dirs.env()):
        d = defs()
        graph = d.resolve_asset_graph()
        # A mart's gate and its warnings check are named the mart plus one of these suffixes.
        suffixes = (gate_check_name(""), WARNINGS_SUFFIX)
        gates = [
            k
            for k in graph.asset_check_keys
            for suffix in suffixes
            if k.name.endswith(suffix) and (marts is None or k.name.removesuffix(suffix) in marts)
        ]
        job = dg.define_asset_job(
            "gate_and_publish", selection=dg.AssetSelection.assets("published_marts") | dg.AssetSelection.checks(*gates)
        ).resolve(asset_graph=graph)
        return job.execute_in_process(
            run_config=run_options(job, allow_volume_jump=allow_volume_jump),
            tags=tags,
            instance=ephemeral_instance(),
            raise_on_error=False,
            resources=d.resources,
        )


def snapshot(db: Path) -> dict:
    """Open the published file read-only and check it is one whole version: counts equal its own log entry."""
    with duckdb.connect(str(db), read_only=True) as con:
        version, counts = con.execute(
            "select version, row_counts from publish_log order by entry_number desc limit 1"
        ).fetchone()
        counts = json.loads(counts)
        actual = {m: con.execute(f'select count(*) from "{m}"').fetchone()[0] for m in counts}
        orphans = con.execute(
            "select count(*) from fct_partner_monthly f anti join dim_partners d using (partner_id)"
        ).fetchone()[0]
    return {"version": version, "consistent": actual == counts and orphans == 0, "counts": actual}


def spawn_pipeline(
    dirs: PipelineDirs, log: Path, pause: tuple[str, Path] | None = None, *, command: str = "run"
) -> subprocess.Popen:
    """A run in its own process group (so a SIGKILL takes dbt with it); `pause`: (point, marker).

    command `run`: the whole nightly job; `publish`: only the gates and the publication of the warehouse's
    current marts (gate_and_publish), which is all a kill at the checks or in publication needs.
    """
    env = {**os.environ, **dirs.env()}
    args = [pause[0], str(pause[1])] if pause else []
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.wap_helpers", command, str(dirs.root), *args],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the pipeline and every child (dbt) it started."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def group_cmdlines(pgid: int) -> list[str]:
    """Command lines of the live processes in a process group (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                out.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return out


def wait_for(predicate, timeout: float, proc: subprocess.Popen, what: str) -> None:
    """Poll until `predicate()`; fail early if the pipeline exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"pipeline exited ({proc.returncode}) before {what}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def spawn_reader(db: Path, out: Path, stop: Path) -> subprocess.Popen:
    """A separate process that reads the published file in a loop until `stop` exists."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.wap_helpers", "read", str(db), str(out), str(stop)],
        cwd=REPO,
        env=dict(os.environ),
    )


def _read_loop(db: Path, out: Path, stop: Path) -> None:
    with out.open("w") as fh:
        while not stop.exists():
            try:
                record = snapshot(db)
            except Exception as exc:  # recorded, and the test fails on it
                record = {"error": f"{type(exc).__name__}: {exc}"}
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            time.sleep(0.02)


PAUSE_SECONDS = 120  # long enough for the test to see the marker and SIGKILL the process group


def _hold(point: str, marker: Path) -> None:
    """Write the marker, then sleep so the test can SIGKILL the run right here."""
    marker.write_text(point)
    time.sleep(PAUSE_SECONDS)


def pause_at(point: str, marker: Path) -> None:
    """Fault injection in this process only: make the run stop at `point` until it is killed.

    `checks`: after every selected suite ran, before the gates write their report and results.
    `swap`: the new version fully built and its copy next to the stable file fsynced, one step before
    the atomic `os.replace` (the latest moment a kill can leave the old version live).
    `logwrite`: the new version swapped onto the stable path, one step before publish_log.json is written
    (the live file is ahead of the JSON log until the next publish, rollback or listing repairs it).
    """
    from orchestration.lib import gx_runner, publish

    if point == "checks":
        write_report = gx_runner.write_report

        def paused_write_report(*args, **kwargs):
            _hold(point, marker)
            return write_report(*args, **kwargs)

        gx_runner.write_report = paused_write_report
    elif point == "swap":
        fsync = publish._fsync

        def paused_fsync(path: Path) -> None:
            fsync(path)
            if path.name.startswith(f".{publish.DB_NAME}.tmp-"):  # the stable file's staged copy
                _hold(point, marker)

        publish._fsync = paused_fsync
    elif point == "logwrite":
        write_atomic = publish._write_atomic

        def paused_write_atomic(path: Path, text: str) -> None:
            if path.name == publish.LOG_NAME:
                _hold(point, marker)
            write_atomic(path, text)

        publish._write_atomic = paused_write_atomic
    else:
        raise SystemExit(f"unknown pause point {point}")


def main(argv: list[str]) -> int:
    if argv[0] in ("run", "publish"):
        if len(argv) == 4:
            pause_at(argv[2], Path(argv[3]))
        dirs = PipelineDirs(Path(argv[1]))
        result = gate_and_publish(dirs) if argv[0] == "publish" else run_pipeline(dirs, *dirs.landing_range())
        return 0 if result.success else 1
    if argv[0] == "read":
        _read_loop(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    raise SystemExit(f"unknown command {argv[0]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
