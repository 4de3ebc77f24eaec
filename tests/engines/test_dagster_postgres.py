"""Dagster's instance on PostgreSQL: two real nightly runs on one warehouse, recorded in a PostgreSQL database.

The home is made the documented way (`make dagster-home DAGSTER_STORAGE=postgres`: the committed dagster.yaml plus
deploy/dagster-postgres.yaml), the connection comes from the DAGSTER_PG_* variables only. Two runs of the small
preset's first three days start at once on one warehouse: `dagster job execute` (the job's own executor, as the
daemon and the UI run it) and `pra run` (with its log file), plus
`dagster schedule start`. Everything is then read back from PostgreSQL with plain SQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from orchestration.cli import dagster_home
from orchestration.defs.jobs import NIGHTLY_JOB
from orchestration.defs.resources import WAREHOUSE_POOL
from orchestration.lib.dagster_storage import InstanceSetupError
from orchestration.lib.publish import read_log
from orchestration.lib.settings import Settings
from orchestration.lib.windows import range_tags
from tests.helpers import PipelineDirs, environ, stop_process_group

pytestmark = [pytest.mark.engines, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
POOL_ROWS = 'select concurrency_key, "limit", using_default_limit from concurrency_limits'
BIN = Path(sys.executable).parent
FIRST, LAST = date(2024, 1, 1), date(2024, 1, 3)  # the small preset's first three days
DB = "dagster_instance"


@dataclass
class Runs:
    """What the module's two runs left behind."""

    dirs: PipelineDirs
    home: Path
    pg_env: dict[str, str]  # the DAGSTER_PG_* variables
    password: str
    connect: dict
    outputs: dict[str, str]  # command -> its console (stdout and stderr)
    seconds: dict[str, int]  # command -> seconds from the common start to its end


def pooled_steps() -> set[str]:
    """The nightly job's steps in the warehouse pool, from the job itself."""
    from orchestration.definitions import defs

    job = defs().resolve_job_def(NIGHTLY_JOB)
    return {node.name for node in job.graph.node_defs if getattr(node, "pool", None) == WAREHOUSE_POOL}


def query(connect: dict, text: str, params: list | None = None) -> list[tuple]:
    """Run one query on a database."""
    with psycopg2.connect(**connect) as con, con.cursor() as cur:
        cur.execute(text, params or [])
        return cur.fetchall()


def sql(runs: Runs, text: str, params: list | None = None) -> list[tuple]:
    """Run one query on the instance database."""
    return query(runs.connect, text, params)


def tables(connect: dict) -> list[str]:
    """The tables Dagster created in a database."""
    listed = query(connect, "select table_name from information_schema.tables where table_schema = 'public'")
    return [t for (t,) in listed]


def assert_prepared(connect: dict) -> None:
    """The database holds Dagster's tables and the warehouse pool's one row, as `make dagster-home` and `pra` make."""
    assert {"runs", "event_logs", "instigators", "alembic_version"} <= set(tables(connect))
    assert query(connect, POOL_ROWS) == [(WAREHOUSE_POOL, 1, True)]


@pytest.fixture(scope="module")
def runs(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The two nightly runs and the schedule start, at once, on a PostgreSQL-backed DAGSTER_HOME."""
    from demo.generator import generate

    root = tmp_path_factory.mktemp("dagster_pg")
    dirs = PipelineDirs(root)
    generate(dirs.landing, "small")
    postgres_server.create_database(DB)
    home = root / "dagster_home"
    pg_env = {
        "DAGSTER_PG_HOST": postgres_server.host,
        "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_DB": DB,
        "DAGSTER_PG_USERNAME": postgres_server.superuser,
        "DAGSTER_PG_PASSWORD": postgres_server.password,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRA_", "DAGSTER_"))}
    env |= dirs.env() | pg_env | {"DAGSTER_HOME": str(home)}
    instance_db = postgres_server.connect_kwargs(dbname=DB)
    for _ in range(2):  # the second time finds everything made and changes nothing
        made = subprocess.run(
            ["make", "-s", "-o", ".venv/.installed", "dagster-home", "DAGSTER_STORAGE=postgres"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        # make created Dagster's tables and the pool's row, so the three commands below, started at once, create
        # neither (two first loads at once fail with `type "bulk_actions" already exists`; two first claims of a
        # pool at once fail the loser's step on PostgreSQL).
        assert_prepared(instance_db)
    window = [FIRST.isoformat(), LAST.isoformat()]
    commands = {
        "dagster job execute": [
            str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions",
            "-j", NIGHTLY_JOB, "--tags", json.dumps(range_tags(FIRST, LAST)),
        ],
        "pra run": [str(BIN / "pra"), "run", "--start", window[0], "--end", window[1]],
        "dagster schedule start": [
            str(BIN / "dagster"), "schedule", "start", "partner_retention_nightly_schedule",
            "-m", "orchestration.definitions",
        ],
    }  # fmt: skip
    started = time.monotonic()
    logs = {name: root / f"{name.replace(' ', '_')}.txt" for name in commands}
    procs, seconds = {}, {}
    with ExitStack() as stack:
        for name, cmd in commands.items():
            out = stack.enter_context(logs[name].open("w"))
            procs[name] = subprocess.Popen(
                cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        # On a failed wait, stop each command with its step processes (never leave a run holding the pool).
        stack.callback(lambda: [stop_process_group(p, signal.SIGTERM) for p in procs.values() if p.poll() is None])
        while len(seconds) < len(procs):
            assert time.monotonic() - started < 2400, f"still running after 40 minutes: {set(procs) - set(seconds)}"
            for name, proc in procs.items():
                if name not in seconds and proc.poll() is not None:
                    seconds[name] = round(time.monotonic() - started)
            time.sleep(1)
    outputs = {name: log.read_text() for name, log in logs.items()}
    for name, proc in procs.items():
        assert proc.returncode == 0, f"{name} failed:\n{outputs[name][-4000:]}"
    print(f"seconds from the common start to the end of each: {seconds}")
    connect = postgres_server.connect_kwargs(dbname=DB)
    return Runs(dirs, home, pg_env, postgres_server.password, connect, outputs, seconds)


def test_both_runs_are_recorded_in_postgres_with_their_events_and_assets(runs: Runs):
    recorded = dict(sql(runs, "select pipeline_name || ' ' || status, count(*) from runs group by 1"))
    assert recorded == {f"{NIGHTLY_JOB} SUCCESS": 2}
    # Each run's events, from start to success, with the window's daily materializations of every raw table.
    per_run = sql(
        runs,
        """
        select run_id,
               count(*) filter (where dagster_event_type = 'PIPELINE_START'),
               count(*) filter (where dagster_event_type = 'PIPELINE_SUCCESS'),
               count(distinct partition) filter (where asset_key = '["raw", "transactions"]'
                                                   and dagster_event_type = 'ASSET_MATERIALIZATION'),
               count(*) filter (where asset_key = '["marts", "fct_program_kpis_monthly"]'
                                  and dagster_event_type = 'ASSET_MATERIALIZATION')
        from event_logs group by run_id order by run_id
        """,
    )
    assert [row[1:] for row in per_run] == [(1, 1, 3, 1), (1, 1, 3, 1)]
    days = sql(runs, 'select distinct partition from event_logs where asset_key = \'["raw", "transactions"]\'')
    assert sorted(d for (d,) in days if d) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    # Both ran their steps in their own process (the jobs' in-process executor): no step started a worker process.
    workers = sql(runs, "select count(*) from event_logs where dagster_event_type = 'STEP_WORKER_STARTED'")
    assert workers == [(0,)]


def test_the_published_versions_are_on_the_instance_and_in_the_publish_log(runs: Runs):
    on_instance = sql(
        runs,
        """
        select run_id,
               jsonb_path_query(event::jsonb, '$.dagster_event.event_specific_data.materialization
                                .metadata_entries[*] ? (@.label == "version").entry_data.value')::int
        from event_logs
        where asset_key = '["published_marts"]' and dagster_event_type = 'ASSET_MATERIALIZATION'
        order by id
        """,
    )
    # One version per run, in the order they published, and the publish log says the same.
    assert [version for _, version in on_instance] == [1, 2]
    assert [(e["run_id"], e["version"]) for e in read_log(runs.dirs.warehouse / "published")] == on_instance
    assert runs.outputs["pra run"].splitlines()[-1].startswith("published version ")


def test_the_pool_kept_the_two_runs_off_the_warehouse_at_the_same_time(runs: Runs):
    # The limit is the PostgreSQL-backed instance's: the committed dagster.yaml's default, one slot for the pool.
    with environ(runs.pg_env), dg.DagsterInstance.from_config(str(runs.home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    assert sql(runs, "select concurrency_key, count(*) from concurrency_slots group by 1") == [(WAREHOUSE_POOL, 1)]
    steps = pooled_steps()
    assert steps >= {"ingest_landing_files", "dbt_models", "publish_gates", "published_marts"}
    rows = sql(
        runs,
        """
        select run_id, step_key, min(timestamp) filter (where dagster_event_type = 'STEP_START'),
               max(timestamp) filter (where dagster_event_type in ('STEP_SUCCESS', 'STEP_FAILURE'))
        from event_logs where step_key = any(%s) group by run_id, step_key
        """,
        [sorted(steps)],
    )
    assert len(rows) == 2 * len(steps) and all(start and end for _, _, start, end in rows)
    (first_run, second_run) = sorted({r[0] for r in rows})
    intervals = {run: [(r[2], r[3], r[1]) for r in rows if r[0] == run] for run in (first_run, second_run)}
    overlaps = [
        (a_step, b_step)
        for a_start, a_end, a_step in intervals[first_run]
        for b_start, b_end, b_step in intervals[second_run]
        if a_start < b_end and b_start < a_end
    ]
    assert overlaps == []
    # ... and they did meet at the pool: a step of one run waited for the other's (not merely one after the other).
    waited = sql(runs, "select count(*) from event_logs where event like %s", ["%blocked by limit for pool%"])
    assert waited[0][0] > 0


def test_schedule_state_is_stored_in_postgres(runs: Runs):
    names = set(tables(runs.connect))
    assert {"runs", "event_logs", "instigators", "jobs", "job_ticks", "concurrency_slots"} <= names
    started = sql(
        runs, "select status, instigator_type, instigator_body::jsonb #>> '{origin,job_name}' from instigators"
    )
    assert started == [("RUNNING", "SCHEDULE", "partner_retention_nightly_schedule")]


def test_the_database_password_is_in_no_event_row_and_no_log_file(runs: Runs):
    assert len(runs.password) >= 20
    names = tables(runs.connect)
    pattern = [f"%{runs.password}%"]
    leaking = [t for t in names if sql(runs, f"select count(*) from {t} r where r::text like %s", pattern)[0][0]]
    assert leaking == []
    # The files: the instance config, the step logs Dagster captured, `pra`'s run log, and the consoles.
    files = [p for p in runs.home.rglob("*") if p.is_file()] + list((runs.dirs.warehouse / "logs").glob("pra-*.log"))
    run_ids = [r for (r,) in sql(runs, "select run_id from runs")]
    texts = {str(p): p.read_text(errors="replace") for p in files} | runs.outputs
    assert any(run_ids[0] in t for t in texts.values()) and any(run_ids[1] in t for t in texts.values())
    assert [name for name, text in texts.items() if runs.password in text] == []
    assert "{env: DAGSTER_PG_PASSWORD}" in (runs.home / "dagster.yaml").read_text()


def test_pra_prepares_a_new_postgres_home_as_make_does(postgres_server, tmp_path: Path):
    """`pra` on a home without dagster.yaml and DAGSTER_STORAGE=postgres: the config, the tables and the pool's row."""
    postgres_server.create_database("dagster_pra_home")
    home = tmp_path / "dagster_home"
    pg_env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_STORAGE": "postgres",
        "DAGSTER_PG_HOST": postgres_server.host,
        "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_DB": "dagster_pra_home",
        "DAGSTER_PG_USERNAME": postgres_server.superuser,
        "DAGSTER_PG_PASSWORD": postgres_server.password,
    }
    # Without the password: a clear error, and no config left behind, so the next call prepares the instance.
    with environ({k: v for k, v in pg_env.items() if k != "DAGSTER_PG_PASSWORD"}), pytest.raises(
        InstanceSetupError, match="Dagster's tables are not created: set DAGSTER_PG_PASSWORD"
    ):
        dagster_home(Settings.from_env())
    assert not (home / "dagster.yaml").exists()
    with environ(pg_env):
        assert dagster_home(Settings.from_env()) == home
    assert "postgres_db:" in (home / "dagster.yaml").read_text()
    assert_prepared(postgres_server.connect_kwargs(dbname="dagster_pra_home"))
