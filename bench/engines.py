"""The same pipeline on each dbt engine, side by side: `make bench BENCH_ARGS="--engines all"`.

The demo preset's full run (landing files to published marts, one Dagster run on an empty warehouse) once per
engine (PRA_ENGINE=duckdb|postgres|spark), each in its own child process, measured like every bench path: wall
time, CPU seconds and peak resident memory of the whole process tree. dbt-spark's JVM is a descendant of the run, so
it is counted; a PostgreSQL server is not, so its processes are sampled beside the run and added (memory and CPU).

PostgreSQL: a throwaway server of Debian's package (tests/postgres_server.py; `sh tests/system_deps.sh engines`
installs it) on 127.0.0.1 with the memory settings below, one per run. Spark: the local session of the `spark` dbt
target.
Each engine's published marts are compared with the DuckDB run's (tests/engines/marts_compare.py: the same keys,
counts exact, money to the cent, floats to 1e-9).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import psutil

from bench.data import DATA_DIR, Dataset

ENGINES = ("duckdb", "postgres", "spark")
ENGINE_PRESET = "demo"
# The bench server's settings for an analytical batch on this 2-core, 24 GB machine (docs/scale-out.md): PostgreSQL's
# defaults (4 MB work_mem, 128 MB shared buffers) make the demo's sorts and hash joins spill to disk.
PG_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "synchronous_commit": "off",
    "jit": "off",
}
PG_DATABASE = "pra"


def engines_arg(value: str) -> list[str]:
    """`--engines all` or a comma list of ENGINES; DuckDB, the reference, is always run first."""
    names = list(ENGINES) if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise ValueError(f"unknown engine(s) {unknown}; choose from {ENGINES} or all")
    return ["duckdb", *(n for n in ENGINES if n in names and n != "duckdb")]


@contextlib.contextmanager
def _engine_env(engine: str):
    """The environment one engine's run needs and the server processes to measure beside it."""
    if engine != "postgres":
        yield {"PRA_ENGINE": engine}, []
        return
    from tests.postgres_server import available, running_server

    reason = available()
    if reason:
        raise RuntimeError(f"--engines postgres: {reason}")
    with running_server(PG_SETTINGS) as server:
        server.create_database(PG_DATABASE)
        yield server.engine_env(PG_DATABASE), [psutil.Process(server.postmaster_pid())]


def bench_engines(ds: Dataset, engines: list[str], measured, pipeline_cmd) -> dict:
    """One full run per engine on `ds`; `measured(label, cmd, log, profile, env, servers)` and
    `pipeline_cmd(warehouse, first, last, profile)` are bench.run's own."""
    from tests.engines.marts_compare import assert_published_marts_equal

    work = DATA_DIR / ds.preset / "engines"
    shutil.rmtree(work, ignore_errors=True)
    runs: dict[str, dict] = {}
    differences: list[str] = []
    reference: Path | None = None
    for engine in engines:
        root = work / engine
        root.mkdir(parents=True)
        warehouse, profile = root / "warehouse", root / "profile.json"
        print(f"[{ds.preset}] full run on {engine}", flush=True)
        with _engine_env(engine) as (env, servers):
            m = measured(
                f"full on {engine}",
                pipeline_cmd(warehouse, ds.start, ds.full_as_of, profile),
                root / "pipeline.log",
                profile,
                env,
                servers,
            )
        run = {**m.as_dict(), "profile": _read_json(profile)}
        published = warehouse / "marts.duckdb"
        if engine == "duckdb":
            reference = published
        elif m.returncode != 0 or not published.exists():
            differences.append(f"{engine}: the run failed or published nothing (see {root / 'pipeline.log'})")
        else:
            try:
                run["marts_compared"] = assert_published_marts_equal(reference, published, engine)
            except AssertionError as exc:
                differences.append(f"{engine}: {exc}")
        runs[engine] = run
    shutil.rmtree(work, ignore_errors=True)
    return {
        "preset": ds.preset,
        "transaction_rows": ds.transaction_rows["full"],
        "postgres_settings": PG_SETTINGS if "postgres" in engines else None,
        "runs": runs,
        "agreement": {"agree": not differences, "differences": differences},
    }


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def table(res: dict) -> str:
    """The engines side by side as a markdown table."""
    lines = [
        f"| engine ({res['preset']} preset, full run) | wall s | CPU s | peak RSS MB | marts equal DuckDB's |",
        "|---|---:|---:|---:|---|",
    ]
    for engine, run in res["runs"].items():
        equal = "reference" if engine == "duckdb" else ("yes" if "marts_compared" in run else "NO")
        lines.append(f"| {engine} | {run['wall_s']:.1f} | {run['cpu_s']:.1f} | {run['peak_rss_mb']:.0f} | {equal} |")
    return "\n".join(lines)
