"""The dbt project on Spark (docs/scale-out.md, "Spark as the engine"): the small preset's work warehouse pushed to
a local Spark session, every model and test built there by `dbt build --target spark`, the published marts pulled
back and compared with the DuckDB ones: same keys, counts exact, money to the cent, rates to 1e-9.

Also prints what it measured (dbt build time, session start, peak memory of dbt and its JVM)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil
import pytest

from orchestration.lib.dbt_args import dbt_build_args, window_env
from orchestration.lib.engines.spark import SparkEngine, SparkSettings
from orchestration.lib.settings import ENV_VARS, Settings
from tests.engines.marts_compare import equal, mart_keys
from tests.helpers import DBT_PROJECT_DIR, PipelineDirs

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
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR)]
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
def spark_build(small_pipeline: PipelineDirs, tmp_path_factory: pytest.TempPathFactory):
    """The small preset's work warehouse (a copy) pushed to Spark, built there, its published marts pulled back."""
    root = tmp_path_factory.mktemp("spark_engine")
    work_db = root / "work.duckdb"
    shutil.copy(small_pipeline.work_db, work_db)
    engine = SparkEngine(SparkSettings(warehouse_dir=root / "spark", shuffle_partitions=2))
    pushed = engine.push(work_db, ["raw", "predictive"])
    env = small_pipeline.env()
    project_vars = Settings.from_values({field: env.get(variable) for field, variable in ENV_VARS.items()}).dbt_vars()
    build = run_dbt_on_spark(engine, root / "build", small_pipeline, dbt_build_args(project_vars=project_vars))
    with duckdb.connect(str(small_pipeline.work_db), read_only=True) as con:
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
    pulled = engine.pull(work_db, [("marts", m) for m in marts]) if build.result.returncode == 0 else {}
    log = build.result.stdout
    print(
        f"\nSpark small preset: dbt build {build.seconds:.0f} s, session start {session_start_seconds(log)} s,"
        f" peak memory of dbt + JVM {build.peak_rss_bytes / 2**20:.0f} MiB; pushed {sum(pushed.values())} rows"
    )
    return engine, work_db, pushed, build, marts, pulled


def test_every_model_and_test_builds_on_spark(spark_build):
    _, _, pushed, build, _, _ = spark_build
    assert pushed["raw.transactions"] > 0 and pushed["predictive.partner_scores"] > 0
    assert build.result.returncode == 0, build.result.stdout[-6000:]
    statuses = {r["unique_id"]: r["status"] for r in build.run_results()["results"]}
    assert statuses and set(statuses.values()) <= {"success", "pass"}, {
        k: v for k, v in statuses.items() if v not in ("success", "pass")
    }
    assert sum(k.startswith("model.") for k in statuses) >= 80
    assert sum(k.startswith("test.") for k in statuses) >= 250


def test_every_published_mart_on_spark_equals_the_duckdb_mart(spark_build, small_pipeline):
    _, work_db, _, build, marts, pulled = spark_build
    assert build.result.returncode == 0, "dbt build on Spark failed (see the test above)"
    keys = mart_keys()
    assert len(marts) >= 30 and set(pulled) == {f"marts.{m}" for m in marts}
    with (
        duckdb.connect(str(small_pipeline.work_db), read_only=True) as ref,
        duckdb.connect(str(work_db), read_only=True) as spark,
    ):
        for mart in marts:
            relation = f"marts.{mart}"
            ref_columns = [r[0] for r in ref.execute(f"describe {relation}").fetchall()]
            spark_columns = [r[0] for r in spark.execute(f"describe {relation}").fetchall()]
            assert spark_columns == ref_columns, f"{mart}: columns differ"
            key_column = keys[mart]
            ref_rows = ref.execute(f"select * from {relation} order by {key_column}").fetchall()
            spark_rows = spark.execute(f"select * from {relation} order by {key_column}").fetchall()
            assert len(spark_rows) == len(ref_rows), (
                f"{mart}: {len(spark_rows)} rows on Spark, {len(ref_rows)} on DuckDB"
            )
            key_at = ref_columns.index(key_column)
            for ref_row, spark_row in zip(ref_rows, spark_rows, strict=True):
                key = ref_row[key_at]
                assert spark_row[key_at] == key, f"{mart}: keys differ: DuckDB {key!r}, Spark {spark_row[key_at]!r}"
                for name, a, b in zip(ref_columns, ref_row, spark_row, strict=True):
                    assert equal(a, b), f"{mart} key {key} column {name}: DuckDB {a!r}, Spark {b!r}"


def test_a_broken_pushed_row_fails_its_dbt_tests_on_spark(spark_build, small_pipeline, tmp_path):
    """A fit run with an unknown method and a repeated fitted_at, pushed: both staging tests fail on Spark."""
    engine, work_db, _, build, _, _ = spark_build
    assert build.result.returncode == 0, "dbt build on Spark failed (see the first test)"
    broken = tmp_path / "broken.duckdb"
    shutil.copy(work_db, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "insert into predictive.fit_runs select * replace ('bogus' as method) from predictive.fit_runs limit 1"
        )
    assert engine.push(broken, ["predictive"])["predictive.fit_runs"] == 2
    try:
        run = run_dbt_on_spark(
            engine, tmp_path / "broken", small_pipeline, [*dbt_build_args(), "--select", "stg_predictive__fit_runs"]
        )
    finally:
        engine.push(work_db, ["predictive"])
    failed = {
        r["unique_id"].split(".")[2]: r["failures"] for r in run.run_results()["results"] if r["status"] == "fail"
    }
    assert run.result.returncode == 1, run.result.stdout[-4000:]
    assert failed == {
        "accepted_values_stg_predictive__fit_runs_method__map__mcmc": 1,
        "unique_stg_predictive__fit_runs_fitted_at": 1,
    }
