"""Spark settings: one home (SparkSettings), which the dbt profile's `spark` output follows, and the Parquet
push/pull round trip through the Spark warehouse folder's layout (no JVM: DuckDB writes and reads the files)."""

from __future__ import annotations

import re
from decimal import Decimal

import duckdb
import pytest
import yaml

from orchestration.lib.engines.spark import SPARK_ENV, SparkEngine, SparkSettings
from tests.helpers import DBT_PROJECT_DIR


def _profile_spark_output() -> dict:
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    return profiles["partner_retention"]["outputs"]["spark"]


def test_profile_reads_every_spark_variable_with_the_settings_default():
    params = _profile_spark_output()["server_side_parameters"]
    text = "\n".join(str(v) for v in params.values())
    found = dict(re.findall(r"env_var\('(PRA_SPARK_\w+)', '([^']*)'\)", text))
    assert set(found) == {variable for variable, _ in SPARK_ENV.values()}
    for variable, default in SPARK_ENV.values():
        if default is not None:
            assert found[variable] == default, variable
    # The warehouse default: <PRA_WAREHOUSE_DIR>/spark, i.e. ../warehouse/spark from dbt_project with the defaults.
    assert found["PRA_SPARK_WAREHOUSE_DIR"] == "../warehouse/spark"
    assert params["spark.sql.session.timeZone"] == "UTC"
    assert _profile_spark_output()["method"] == "session"


def test_settings_from_env_defaults_and_overrides(tmp_path):
    defaults = SparkSettings.from_env({"PRA_HOME": str(tmp_path)})
    assert defaults.warehouse_dir == tmp_path / "warehouse" / "spark"
    assert (defaults.master, defaults.driver_memory, defaults.shuffle_partitions) == ("local[*]", "2g", 4)
    set_ = SparkSettings.from_env(
        {"PRA_WAREHOUSE_DIR": str(tmp_path / "wh"), "PRA_SPARK_SHUFFLE_PARTITIONS": "2", "PRA_SPARK_MASTER": "local[1]"}
    )
    assert set_.warehouse_dir == tmp_path / "wh" / "spark"
    assert (set_.master, set_.shuffle_partitions) == ("local[1]", 2)
    assert SparkSettings.from_env(set_.dbt_env()) == set_


def test_push_writes_parquet_and_the_list_the_hook_reads_and_pull_reads_spark_layout(tmp_path):
    work_db = tmp_path / "work.duckdb"
    with duckdb.connect(str(work_db)) as con:
        con.execute("create schema raw; create table raw.partners (partner_id varchar, signup date)")
        con.execute("insert into raw.partners values ('P00001', '2024-01-31'), ('P00002', null)")
        con.execute("create schema other; create table other.skipped (x integer)")
    engine = SparkEngine(SparkSettings(warehouse_dir=tmp_path / "spark"))
    stale = engine.settings.pushed_dir("raw", "gone")
    stale.mkdir(parents=True)
    assert engine.push(work_db, ["raw"]) == {"raw.partners": 2}
    assert not stale.exists(), "a push replaces the schema's tables whole"
    listed = duckdb.sql(f"select * from '{tmp_path}/spark/pushed/tables.parquet'").fetchall()
    assert listed == [("raw", "partners", str(tmp_path / "spark" / "pushed" / "raw" / "partners"))]

    # What Spark leaves for a managed table marts.fct_x: part files (and a _SUCCESS marker) in marts.db/fct_x/.
    built = engine.settings.table_dir("marts", "fct_x")
    built.mkdir(parents=True)
    (built / "_SUCCESS").touch()
    for part, rows in enumerate([[1, 2], [3]]):
        values = ", ".join(f"({v}, {v}.5::decimal(18, 4))" for v in rows)
        duckdb.sql(f"copy (select * from (values {values}) t(k, amount)) to '{built}/part-{part}.parquet'")
    assert engine.pull(work_db, [("marts", "fct_x")]) == {"marts.fct_x": 3}
    with duckdb.connect(str(work_db), read_only=True) as con:
        assert con.sql("select sum(k), sum(amount) from marts.fct_x").fetchone() == (6, Decimal("7.5"))


def test_pull_replaces_a_view_the_model_was_on_duckdb(tmp_path):
    """A warehouse built on DuckDB before the engine changed holds some models as views (dbt macro
    view_materialization); the pull puts the engine's table in their place, and leaves other views alone."""
    work_db = tmp_path / "work.duckdb"
    with duckdb.connect(str(work_db)) as con:
        con.execute("create schema marts; create table marts.base as select 1 as k")
        con.execute("create view marts.fct_x as select * from marts.base")
        con.execute("create view marts.fct_other as select * from marts.base")
    engine = SparkEngine(SparkSettings(warehouse_dir=tmp_path / "spark"))
    built = engine.settings.table_dir("marts", "fct_x")
    built.mkdir(parents=True)
    duckdb.sql(f"copy (select * from (values (7), (8)) t(k)) to '{built}/part-0.parquet'")
    assert engine.pull(work_db, [("marts", "fct_x")]) == {"marts.fct_x": 2}
    with duckdb.connect(str(work_db), read_only=True) as con:
        kinds = con.sql(
            "select table_name, table_type from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        assert kinds == [("base", "BASE TABLE"), ("fct_other", "VIEW"), ("fct_x", "BASE TABLE")]
        assert con.sql("select sum(k) from marts.fct_x").fetchone() == (15,)


def test_push_and_pull_hold_to_the_duckdb_memory_limit(tmp_path):
    # 300,000 rows do not fit in 1MB, so both copies fail with DuckDB's own error, not by taking what they need.
    work_db = tmp_path / "work.duckdb"
    with duckdb.connect(str(work_db)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.transactions as select i as k, md5(i::varchar) as s from range(300000) t(i)")
    tight = SparkEngine(SparkSettings(warehouse_dir=tmp_path / "spark"), duckdb_memory_limit="1MB")
    with pytest.raises(duckdb.OutOfMemoryException, match="976.5 KiB"):
        tight.push(work_db, ["raw"])
    built = tight.settings.table_dir("marts", "fct_x")
    built.mkdir(parents=True)
    duckdb.sql(f"copy (select * from range(300000) t(k)) to '{built}/part-0.parquet'")
    with pytest.raises(duckdb.OutOfMemoryException, match="976.5 KiB"):
        tight.pull(work_db, [("marts", "fct_x")])
    roomy = SparkEngine(tight.settings, duckdb_memory_limit="256MB")
    assert roomy.push(work_db, ["raw"]) == {"raw.transactions": 300000}
    assert roomy.pull(work_db, [("marts", "fct_x")]) == {"marts.fct_x": 300000}

