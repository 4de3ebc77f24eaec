"""The small-preset pipeline with PRA_ENGINE=postgres publishes the same marts as on DuckDB (docs/scale-out.md).

The weekly job runs through Dagster against a real PostgreSQL server (fixture `postgres_server`) on the landing
files of the DuckDB `small_pipeline`: ingestion into the work DuckDB file, the raw and predictive tables pushed to
PostgreSQL by COPY, every dbt model and test built there, the relations the Python side reads pulled back, then the
gates and the publication as always. Every published mart must equal the DuckDB run's: the same keys (each mart's
`unique`-tested column in the dbt manifest), counts exact, money (decimals) to the cent, floats to 1e-9, everything
else exact. The file took 8.5 minutes on two busy shared cores: 7.6 for the two pipelines (the DuckDB
`small_pipeline` fixture, shared with the worker's other tests, and the PostgreSQL one), 43 s for the incremental
window rerun.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta

import psycopg2
import pytest

from orchestration.lib.dbt_args import dbt_build_args, installed_dbt, window_env
from orchestration.lib.settings import Settings
from tests.engines.marts_compare import assert_published_marts_equal
from tests.helpers import DBT_PROJECT_DIR, PipelineDirs, query, run_on_copy_of_landing

pytestmark = pytest.mark.engines

DATABASE = "pra_engine_test"
RAW_TABLES_SQL = "select table_name from information_schema.tables where table_schema = 'raw' order by 1"


def engine_env(server) -> dict[str, str]:
    """The settings that put dbt on the test server."""
    return server.engine_env(DATABASE)


@pytest.fixture(scope="module")
def postgres_pipeline(small_pipeline: PipelineDirs, postgres_server, tmp_path_factory) -> PipelineDirs:
    """The weekly job on the small preset's landing files with PRA_ENGINE=postgres."""
    postgres_server.create_database(DATABASE)
    with psycopg2.connect(**postgres_server.connect_kwargs()) as con, con.cursor() as cur:
        # Every statement of the run in the server's log: the push must show up as COPY (test below).
        cur.execute(f"alter database {DATABASE} set log_statement = 'all'")
    dirs, result = run_on_copy_of_landing(
        small_pipeline, tmp_path_factory.mktemp("postgres_pipeline"), **engine_env(postgres_server)
    )
    assert result.success, "the small-preset pipeline on PostgreSQL failed; see the Dagster log above"
    return dirs


def test_postgres_engine_publishes_the_duckdb_marts(small_pipeline, postgres_pipeline):
    duck_db = small_pipeline.warehouse / "marts.duckdb"
    pg_db = postgres_pipeline.warehouse / "marts.duckdb"
    assert assert_published_marts_equal(duck_db, pg_db, "PostgreSQL") == 35
    assert query(pg_db, "select count(*) from main.fct_partner_monthly")[0][0] > 0


def test_push_copied_every_raw_row_by_copy(postgres_pipeline, postgres_server):
    """The raw tables in PostgreSQL hold exactly the work DuckDB file's rows, and they came by COPY: the server's
    statement log (log_statement = all for the test database) has a COPY ... FROM STDIN per raw table and no insert
    into one."""
    tables = [t for (t,) in query(postgres_pipeline.work_db, RAW_TABLES_SQL)]
    assert len(tables) == 9
    with psycopg2.connect(**postgres_server.connect_kwargs(dbname=DATABASE)) as con, con.cursor() as cur:
        cur.execute("select table_name from information_schema.tables where table_schema = 'raw' order by 1")
        assert [t for (t,) in cur.fetchall()] == tables
        for table in tables:
            duck_rows = query(postgres_pipeline.work_db, f'select count(*) from raw."{table}"')[0][0]
            cur.execute(f'select count(*) from raw."{table}"')
            assert cur.fetchone()[0] == duck_rows, f"raw.{table}"
    log = (postgres_server.data_dir.parent / "postgres.log").read_text(errors="replace").lower()
    for table in tables:
        assert f'copy "raw"."{table}" from stdin' in log, f"raw.{table} was not loaded by COPY"
    assert 'insert into "raw".' not in log and "insert into raw." not in log


def test_incremental_models_rerun_a_window_on_postgres_without_change(postgres_pipeline, postgres_server, tmp_path):
    """A nightly window on the server: the incremental models delete and insert the window's rows (delete+insert by
    their pre-hooks), customer quality its changed partner-periods, the sales summary and the sale refunds their
    changed partners, and running the last month again changes no count and no cent."""
    quality = "intermediate.int_partner_months_customer_quality"
    summary = "intermediate.int_partners_sales_summarized"
    refunds = "intermediate.int_partner_months_sale_refunds"
    totals_sql = (
        "select (select count(*) from staging.base_program__transactions), "
        "(select count(*) from staging.base_program__transactions where rejection_reason is null), "
        "(select count(*) from intermediate.int_transactions_converted), "
        "(select sum(net_amount_reporting) from intermediate.int_transactions_converted), "
        f"(select count(*) from {quality}), (select sum(trailing_12m_customer_count) from {quality}), "
        f"(select sum(trailing_12m_repeat_customer_count) from {quality}), "
        f"(select sum(trailing_12m_customer_net_revenue_reporting) from {quality}), "
        "(select count(*) from staging.base_program__leads), "
        f"(select count(*) from {summary}), (select sum(frequency) from {summary}), "
        f"(select sum(avg_repeat_net_value_reporting) from {summary}), "
        f"(select count(*) from {refunds}), (select sum(refunded_reporting) from {refunds}), "
        "(select count(*) from staging.base_program__partners where rejection_reason is null), "
        "(select count(*) from staging.base_program__payouts where rejection_reason is null)"
    )
    connect = postgres_server.connect_kwargs(dbname=DATABASE)
    with psycopg2.connect(**connect) as con, con.cursor() as cur:
        cur.execute(totals_sql)
        before = cur.fetchone()
    end = date.fromisoformat(postgres_pipeline.manifest()["end"])
    settings = Settings.from_env({**postgres_pipeline.env(), **engine_env(postgres_server)})
    select = (
        "base_program__partners base_program__transactions stg_program__transactions base_program__leads "
        "base_program__payouts int_transactions_replaced int_transactions_converted int_transactions_changed "
        "int_partner_months_customer_quality int_partners_sales_summarized int_partner_months_sale_refunds"
    )
    cmd = [str(installed_dbt()), *dbt_build_args(target="postgres"), "--select", *select.split()]
    cmd += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    cmd += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    env = {**os.environ, **settings.dbt_env(), **window_env(end.replace(day=1), end + timedelta(days=1))}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "OK created sql incremental model staging.base_program__transactions" in result.stdout
    assert "OK created sql incremental model intermediate.int_transactions_converted" in result.stdout
    judged = ("staging.base_program__partners", "staging.base_program__leads", "staging.base_program__payouts")
    for model in (*judged, quality, summary, refunds):
        assert f"OK created sql incremental model {model}" in result.stdout
    with psycopg2.connect(**connect) as con, con.cursor() as cur:
        cur.execute(totals_sql)
        assert cur.fetchone() == before
    assert before[0] > 10_000
    assert before[4] > 500 and before[5] > 0  # 824 partner-periods on the small preset
    assert before[8] > 0 and before[9] > 0 and before[12] > 0  # leads, partners with a sale, refund periods
    assert before[15] > 0  # valid payouts
    assert before[14] > 80  # valid partner snapshot rows: 80 partners in each of many snapshots
