"""Spark as the dbt engine (docs/scale-out.md, "Spark as the engine"): dbt-spark in session mode on a local pyspark.

The work DuckDB file stays the landing zone. `push` writes each table of the given schemas as one Parquet file under
<spark warehouse>/pushed/<schema>/<table>/ (DuckDB's COPY, no JVM); dbt's on-run-start hook on Spark
(macro register_pushed_tables) registers every dbt source found there as an external Parquet table, in dbt's own
session. dbt builds its models as Parquet tables at Spark's default location, <spark warehouse>/<schema>.db/<table>/;
`pull` reads those files back into the work DuckDB file (DuckDB's read_parquet, no JVM). So only dbt's JVM ever opens
the Derby metastore, which one JVM at a time may hold.

Every Spark setting has one home, SparkSettings: the dbt profile's `spark` output (dbt_project/profiles.yml) reads the
same PRA_SPARK_* variables with the same defaults (a unit test compares them), and `dbt_env` hands a dbt process the
values in force.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.engines import drop_view
from orchestration.lib.settings import ENV_VARS, Settings

PUSHED_DIR = "pushed"  # under the Spark warehouse: the pushed Parquet files (macro register_pushed_tables)
PUSHED_LIST = "tables.parquet"  # in PUSHED_DIR: schema_name, table_name, location of every pushed table

# Setting -> (environment variable, default). The warehouse default (None) is <PRA_WAREHOUSE_DIR>/spark.
SPARK_ENV: dict[str, tuple[str, str | None]] = {
    "warehouse_dir": ("PRA_SPARK_WAREHOUSE_DIR", None),
    "master": ("PRA_SPARK_MASTER", "local[*]"),
    "driver_memory": ("PRA_SPARK_DRIVER_MEMORY", "2g"),
    "shuffle_partitions": ("PRA_SPARK_SHUFFLE_PARTITIONS", "4"),
}


@dataclass(frozen=True)
class SparkSettings:
    """Where the local Spark warehouse and its Derby metastore live, and how big the session is."""

    warehouse_dir: Path
    master: str = SPARK_ENV["master"][1]
    driver_memory: str = SPARK_ENV["driver_memory"][1]
    # Spark's default 200 shuffle partitions cost a task each; a small warehouse wants a handful.
    shuffle_partitions: int = int(SPARK_ENV["shuffle_partitions"][1])

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SparkSettings:
        """The settings from PRA_SPARK_* (unset or empty: the default); the warehouse under the PRA warehouse."""
        env = os.environ if env is None else env

        def raw(field: str) -> str | None:
            value = env.get(SPARK_ENV[field][0], "").strip()
            return value or None

        warehouse = raw("warehouse_dir")
        if warehouse is None:
            pra = Settings.from_values({field: env.get(ENV_VARS[field]) for field in ("home", "warehouse_dir")})
            warehouse_dir = pra.warehouse_dir / "spark"
        else:
            warehouse_dir = Path(warehouse).resolve()
        return cls(
            warehouse_dir=warehouse_dir,
            master=raw("master") or cls.master,
            driver_memory=raw("driver_memory") or cls.driver_memory,
            shuffle_partitions=int(raw("shuffle_partitions") or cls.shuffle_partitions),
        )

    def dbt_env(self) -> dict[str, str]:
        """The PRA_SPARK_* variables a dbt process needs to open this same session (profiles.yml reads them)."""
        values = {
            "warehouse_dir": str(self.warehouse_dir),
            "master": self.master,
            "driver_memory": self.driver_memory,
            "shuffle_partitions": str(self.shuffle_partitions),
        }
        return {SPARK_ENV[field][0]: value for field, value in values.items()}

    def table_dir(self, schema: str, table: str) -> Path:
        """Where Spark keeps the files of a table dbt built (a managed table at the default location)."""
        return self.warehouse_dir / f"{schema}.db" / table

    def pushed_dir(self, schema: str, table: str | None = None) -> Path:
        """Where `push` writes a schema's tables (one folder per table)."""
        folder = self.warehouse_dir / PUSHED_DIR / schema
        return folder / table if table else folder


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class SparkEngine:
    """dbt on a local Spark session; data in and out as Parquet files of the Spark warehouse folder."""

    name = "spark"

    def __init__(self, settings: SparkSettings | None = None, *, duckdb_memory_limit: str | None = None) -> None:
        self.settings = settings or SparkSettings.from_env()
        # The DuckDB side of push and pull (PRA_DUCKDB_MEMORY_LIMIT, as every pipeline connection to the work file).
        self.duckdb_memory_limit = duckdb_memory_limit or Settings.from_env().duckdb_memory_limit

    def dbt_env(self) -> dict[str, str]:
        """The PRA_SPARK_* variables dbt's own session needs to open this same warehouse and catalog."""
        return self.settings.dbt_env()

    def push(self, work_db: Path, schemas: Sequence[str]) -> dict[str, int]:
        """Write every table of `schemas` of the work DuckDB file as Parquet for Spark (each schema replaced whole);
        rows per `schema.table`. dbt's on-run-start hook registers them in the Spark catalog."""
        rows: dict[str, int] = {}
        with duckdb.connect(str(work_db), read_only=True, config=self._duckdb_config()) as con:
            for schema in schemas:
                folder = self.settings.pushed_dir(schema)
                shutil.rmtree(folder, ignore_errors=True)
                tables = con.execute(
                    "select table_name from information_schema.tables"
                    " where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                    [schema],
                ).fetchall()
                for (table,) in tables:
                    target = self.settings.pushed_dir(schema, table)
                    target.mkdir(parents=True)
                    relation = f"{_quote(schema)}.{_quote(table)}"
                    file = _literal(target / "part-0.parquet")
                    con.execute(f"copy (select * from {relation}) to {file} (format parquet)")
                    rows[f"{schema}.{table}"] = con.execute(f"select count(*) from {relation}").fetchone()[0]
            self._write_pushed_list(con)
        return rows

    def _duckdb_config(self) -> dict[str, str]:
        return {"memory_limit": self.duckdb_memory_limit}

    def _write_pushed_list(self, con: duckdb.DuckDBPyConnection) -> None:
        """The list of every pushed table and its folder, which the hook register_pushed_tables reads."""
        root = self.settings.warehouse_dir / PUSHED_DIR
        folders = sorted(p for p in root.glob("*/*") if p.is_dir())
        rows = [(p.parent.name, p.name, str(p)) for p in folders] or [(None, None, None)]
        con.execute("create temp table pushed_tables (schema_name varchar, table_name varchar, location varchar)")
        con.executemany("insert into pushed_tables values (?, ?, ?)", rows)
        con.execute(
            f"copy (select * from pushed_tables where schema_name is not null) to {_literal(root / PUSHED_LIST)}"
            " (format parquet)"
        )
        con.execute("drop table pushed_tables")

    def pull(self, work_db: Path, relations: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Copy these (schema, table) relations that dbt built on Spark into the work DuckDB file (same schema and
        name, replacing); rows per relation. Reads Spark's Parquet files directly: no JVM."""
        rows: dict[str, int] = {}
        with duckdb.connect(str(work_db), config=self._duckdb_config()) as con:
            for schema, table in relations:
                folder = self.settings.table_dir(schema, table)
                files = sorted(folder.glob("*.parquet"))
                if not files:
                    raise FileNotFoundError(f"{schema}.{table}: no Parquet files in {folder} (not built on Spark?)")
                relation = f"{_quote(schema)}.{_quote(table)}"
                con.execute(f"create schema if not exists {_quote(schema)}")
                drop_view(con, schema, table)
                file_list = "[" + ", ".join(_literal(f) for f in files) + "]"
                con.execute(f"create or replace table {relation} as select * from read_parquet({file_list})")
                rows[f"{schema}.{table}"] = con.execute(f"select count(*) from {relation}").fetchone()[0]
        return rows
