"""The pipeline on Spark (docs/scale-out.md, "Spark as the engine"): the small preset's weekly job through Dagster with
PRA_ENGINE=spark, every model and test built on a local Spark session, and every published mart compared with the
DuckDB run's (tests/engines/marts_compare.py: same keys, counts exact, money to the cent, rates to 1e-9). Then a
broken pushed row fails its dbt tests on Spark, run by hand as `dbt build --target spark`, which also prints the
session start and the peak memory of dbt and its JVM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil
import pytest

from orchestration.defs.sensors import FRESHNESS_CHECK
from orchestration.lib.dbt_args import dbt_build_args, installed_dbt, window_env
from orchestration.lib.engines.spark import SparkEngine, SparkSettings
from tests.engines.marts_compare import assert_published_marts_equal
from tests.helpers import DBT_PROJECT_DIR, PipelineDirs, run_on_copy_of_landing

pytestmark = pytest.mark.engines


@dataclass
class DbtRun:
    result: subprocess.CompletedProcess
    seconds: float
    peak_rss_bytes: int
    root: Path

    def run_results(self) -> dict:
        return json.loads((self.root / "target" / "run_results.json").read_text())


def run_dbt_on_spark(engine: SparkEngine, root: Path, dirs: PipelineDirs, args: list[str]) -> DbtRun:
    """`dbt <args> --target spark` as the pipeline runs it (window as environment variables, project vars), its
    time and the peak resident memory of dbt and its children (the JVM), sampled every 0.2 s."""
    manifest = dirs.manifest()
    window = (date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"]) + timedelta(days=1))
    env = {**os.environ, **dirs.env(), **window_env(*window), **engine.settings.dbt_env(), "PRA_ENGINE": "spark"}
    cmd = [str(installed_dbt()), *args, "--project-dir", str(DBT_PROJECT_DIR)]
    cmd += [
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(root / "target"),
        "--log-path",
        str(root / "logs"),
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=DBT_PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        parent = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                family = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in family if p.is_running()))
            except psutil.Error:
                pass
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate()
    done.set()
    sampler.join()
    result = subprocess.CompletedProcess(cmd, proc.returncode, stdout, "")
    return DbtRun(result, time.monotonic() - started, peak, root)


def session_start_seconds(log: str) -> float | None:
    """Seconds from dbt's 'Concurrency' line to the first hook's start: dbt-spark's first query, which starts the
    JVM and the SparkSession (and opens the Derby metastore)."""
    stamps = {}
    for line in log.splitlines():
        m = re.match(r"\S*?(\d\d:\d\d:\d\d)\s+(Concurrency|1 of \d+ START hook)", line)
        if m and m.group(2) not in stamps:
            stamps[m.group(2).split()[0]] = datetime.strptime(m.group(1), "%H:%M:%S")
    if "Concurrency" in stamps and "1" in stamps:
        return (stamps["1"] - stamps["Concurrency"]).total_seconds() % 86400
    return None


@pytest.fixture(scope="module")
def spark_pipeline(small_pipeline: PipelineDirs, tmp_path_factory: pytest.TempPathFactory):
    """The weekly job through Dagster on the small preset's landing files with PRA_ENGINE=spark: ingestion into the
    work DuckDB file, raw and predictive pushed as Parquet, every dbt model and test on a local Spark session, the
    relations the Python side reads pulled back, the fit, the gates and the publication as always."""
    started = time.monotonic()
    dirs, result = run_on_copy_of_landing(
        small_pipeline, tmp_path_factory.mktemp("spark_pipeline"), PRA_ENGINE="spark", PRA_SPARK_SHUFFLE_PARTITIONS="2"
    )
    print(f"\nSpark small preset: the weekly job through Dagster in {time.monotonic() - started:.0f} s")
    return dirs, result


def test_the_pipeline_builds_every_model_and_test_on_spark(spark_pipeline):
    dirs, result = spark_pipeline
    assert result.success, "the small-preset pipeline on Spark failed; see the Dagster log above"
    checks = result.get_asset_check_evaluations()
    # The small preset's landing files end in 2025: the landing freshness warnings fire by design.
    failed = [
        f"{c.asset_key.to_user_string()}:{c.check_name}"
        for c in checks
        if not c.passed and c.check_name != FRESHNESS_CHECK
    ]
    assert not failed, failed
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert sum(key.startswith(("staging/", "intermediate/", "marts/")) for key in materialized) >= 80
    assert len(checks) >= 250
    # Built by Spark: its tables are Parquet folders of the Spark warehouse, not DuckDB tables.
    assert any((dirs.warehouse / "spark" / "marts.db" / "fct_partner_monthly").glob("*.parquet"))


def test_every_published_mart_on_spark_equals_the_duckdb_mart(small_pipeline, spark_pipeline):
    dirs, result = spark_pipeline
    assert result.success, "the small-preset pipeline on Spark failed (see the test above)"
    published = dirs.warehouse / "marts.duckdb"
    assert assert_published_marts_equal(small_pipeline.warehouse / "marts.duckdb", published, "Spark") == 35


def test_a_broken_pushed_row_fails_its_dbt_tests_on_spark(spark_pipeline, tmp_path):
    """A fit run with an unknown method and a repeated fitted_at, pushed: both staging tests fail on Spark."""
    dirs, result = spark_pipeline
    assert result.success, "the small-preset pipeline on Spark failed (see the first test)"
    engine = SparkEngine(SparkSettings(warehouse_dir=dirs.warehouse / "spark", shuffle_partitions=2))
    broken = tmp_path / "broken.duckdb"
    shutil.copy(dirs.work_db, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "insert into predictive.fit_runs select * replace ('bogus' as method) from predictive.fit_runs limit 1"
        )
    assert engine.push(broken, ["predictive"])["predictive.fit_runs"] == 2
    try:
        run = run_dbt_on_spark(
            engine, tmp_path / "broken", dirs, [*dbt_build_args(), "--select", "stg_predictive__fit_runs"]
        )
    finally:
        engine.push(dirs.work_db, ["predictive"])
    print(
        f"\nSpark: dbt build of one model and its tests {run.seconds:.0f} s, session start "
        f"{session_start_seconds(run.result.stdout)} s, peak memory of dbt + JVM {run.peak_rss_bytes / 2**20:.0f} MiB"
    )
    failed = {
        r["unique_id"].split(".")[2]: r["failures"] for r in run.run_results()["results"] if r["status"] == "fail"
    }
    assert run.result.returncode == 1, run.result.stdout[-4000:]
    assert failed == {
        "accepted_values_stg_predictive__fit_runs_method__map__mcmc": 1,
        "unique_stg_predictive__fit_runs_fitted_at": 1,
    }
