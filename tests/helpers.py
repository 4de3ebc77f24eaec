"""Shared test helpers: run the real pipeline through Dagster against a throw-away landing/warehouse."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from filelock import FileLock

from orchestration.lib.dbt_args import RUN_VARS, installed_dbt, run_args, run_env
from orchestration.lib.settings import WORK_DB_ENV, Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


@dataclass
class PipelineDirs:
    """Where one test pipeline keeps its files."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def work_db(self) -> Path:
        return self.warehouse / "work.duckdb"

    def manifest(self) -> dict:
        return json.loads((self.landing / "_manifest.json").read_text())

    def landing_range(self) -> tuple[date, date]:
        """The generator's first and last day of the landing folder (inclusive), from its manifest."""
        manifest = self.manifest()
        return date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])

    def env(self) -> dict[str, str]:
        return {
            "PRA_HOME": str(self.root),
            "PRA_LANDING_DIR": str(self.landing),
            "PRA_WAREHOUSE_DIR": str(self.warehouse),
        }


@contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (the code location reads settings when loaded)."""
    from orchestration.lib.dbt_args import environment

    try:
        with environment(values):
            yield
    finally:
        if "TZ" in values:
            time.tzset()  # this process's local time follows TZ again (child processes read it themselves)


def built_once_per_session(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name`, built by `build(folder)` once per test session, whichever pytest-xdist worker asks first.

    The other workers wait for it (a file lock in the session's shared temp folder) and read the same files, so
    `make test` builds each shared pipeline once instead of once per worker. Read-only for tests: clone it before
    changing anything. A build that failed is not retried by the next worker: it fails at once with the first
    worker's error.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' basetemps are popen-gw<N> folders of one session folder
    folder, done, failed = root / name, root / f"{name}.done", root / f"{name}.failed"
    with FileLock(root / f"{name}.lock"):
        if failed.exists():
            pytest.fail(f"building the shared {name} failed in another worker:\n{failed.read_text()}")
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                build(folder)
            except BaseException as error:
                failed.write_text(f"{type(error).__name__}: {error}")
                raise
            done.touch()
    return folder


def run_pipeline(
    dirs: PipelineDirs,
    first: date,
    last: date,
    *,
    full_refresh: bool = False,
    allow_volume_jump: bool = False,
    accept_mass_change: bool = False,
    job_name: str = "partner_retention_nightly_job",
    assets: list[dg.AssetKey] | None = None,
    instance: dg.DagsterInstance | None = None,
    **extra_env: str,
) -> dg.ExecuteInProcessResult:
    """Run the nightly job (or `job_name`) for the inclusive range [first, last] as one in-process Dagster run;
    `assets`: only these assets of the job and their checks (e.g. the raw tables: the ingestion step alone);
    `instance`: where the run is stored, to read it back (a new ephemeral one by default)."""
    from orchestration.definitions import defs
    from orchestration.defs.jobs import run_options
    from orchestration.lib.dagster_storage import ephemeral_instance
    from orchestration.lib.windows import range_tags

    with environ({**dirs.env(), **extra_env}):
        job = defs().resolve_job_def(job_name)
        return job.execute_in_process(
            tags=range_tags(first, last),
            run_config=run_options(
                job,
                full_refresh=full_refresh,
                allow_volume_jump=allow_volume_jump,
                accept_mass_change=accept_mass_change,
            ),
            instance=instance or ephemeral_instance(),
            raise_on_error=False,
            asset_selection=assets,
        )


def run_on_copy_of_landing(source: PipelineDirs, root: Path, **extra_env: str) -> tuple[PipelineDirs, object]:
    """The weekly job over the whole of `source`'s landing files, copied into `root`, with `extra_env` (an engine or
    a publish target): the same data as `source`'s run, for comparing marts."""
    dirs = PipelineDirs(root)
    shutil.copytree(source.landing, dirs.landing)
    return dirs, run_pipeline(dirs, *dirs.landing_range(), job_name="partner_retention_weekly_job", **extra_env)


def revenue_mart(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, int]], as_of: str) -> None:
    """A hand-made period mart, `marts.fct_revenue` (partner, period, net revenue), every row with the as-of date:
    the work files of the bench tools' tests."""
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.fct_revenue (partner_id varchar, month_start_date date, "
        "net_revenue integer, as_of_date date)"
    )
    con.executemany("insert into marts.fct_revenue values (?, ?, ?, ?)", [(*r, as_of) for r in rows])


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Run one query on a DuckDB file opened read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def dbt_on_copy(source_db: Path, root: Path, command: str, variables: dict, select: str | None = None) -> Path:
    """Run `dbt <command>` against a copy of `source_db` in `root` (target and logs there too); the copy's path."""
    root.mkdir(parents=True, exist_ok=True)
    db = root / "work.duckdb"
    shutil.copy(source_db, db)
    result = dbt_on(db, root, command, variables, select)
    assert result.returncode == 0, result.stdout[-4000:]
    return db


def dbt_on(
    db: Path,
    root: Path,
    command: str,
    variables: dict,
    select: str | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> subprocess.CompletedProcess:
    """Run `dbt <command>` of `project_dir` against the warehouse file `db`, target and logs in `root`, as a pipeline
    run's dbt step runs it: `variables` that are run values (window, as-of date: RUN_VARS) as environment variables,
    the others over the project's dbt vars, and the project's saved parse copied into the new target folder (what
    dagster-dbt does), so dbt parses the whole project again only for other vars or another project."""
    settings = Settings.from_env()
    project_vars = settings.dbt_vars() | {k: v for k, v in variables.items() if k not in RUN_VARS}
    env = settings.dbt_env() | {WORK_DB_ENV: str(db)} | run_env({k: v for k, v in variables.items() if k in RUN_VARS})
    saved_parse = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    if project_dir == DBT_PROJECT_DIR and saved_parse.exists() and not (root / "target").exists():
        (root / "target").mkdir(parents=True)
        shutil.copy(saved_parse, root / "target")
    cmd = [str(installed_dbt()), command, *run_args(project_vars, settings.engine)]
    cmd += ["--select", select] if select else []
    cmd += ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    cmd += ["--target-path", str(root / "target"), "--log-path", str(root / "logs")]
    return subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)


def stop_process_group(proc: subprocess.Popen, sig: int) -> None:
    """Send `sig` to a server's process group, then SIGKILL what is still running after 20 s."""
    os.killpg(proc.pid, sig)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
