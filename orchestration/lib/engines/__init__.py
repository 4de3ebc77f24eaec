"""Engines: where dbt builds the models, chosen by PRA_ENGINE (docs/scale-out.md). No Dagster here.

DuckDB is the landing zone whatever the engine: the ingestion loads the work DuckDB file's `raw` schema, and the
gates, the publication, the report and the restricted export read the work DuckDB file. With the default engine
(duckdb) dbt builds in that file itself. Any other engine gets the tables dbt reads pushed to it before `dbt build`
and the relations the Python side reads pulled back after it, so the rest of the pipeline does not change.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Protocol

import duckdb

from orchestration.lib.gx_runner import DbtModels, suite_reads
from orchestration.lib.settings import Settings


class Engine(Protocol):
    """A warehouse dbt builds in, other than the work DuckDB file."""

    name: str  # the dbt target name: "duckdb", "postgres", "spark"

    def push(self, work_db: Path, schemas: Sequence[str]) -> dict[str, int]:
        """Copy every table of these schemas of the work DuckDB file into the engine (replacing what is there);
        rows per `schema.table`."""
        ...

    def pull(self, work_db: Path, relations: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Copy these (schema, table) relations built by dbt on the engine back into the work DuckDB file (same
        schema and name, replacing); rows per relation."""
        ...

    def dbt_env(self) -> dict[str, str]:
        """Environment variables a dbt process needs beyond `Settings.dbt_env()` to reach this engine."""
        ...


def engine_for(settings: Settings) -> Engine | None:
    """The engine of PRA_ENGINE; None for duckdb (dbt builds in the work file itself)."""
    if settings.engine == "duckdb":
        return None
    if settings.engine == "postgres":
        from orchestration.lib.engines.postgres import PostgresEngine

        return PostgresEngine.from_settings(settings)
    if settings.engine == "spark":
        from orchestration.lib.engines.spark import SparkEngine, SparkSettings

        # The Spark warehouse defaults to <warehouse>/spark of these settings (a resource's, not only this env's).
        paths = {"PRA_HOME": str(settings.home), "PRA_WAREHOUSE_DIR": str(settings.warehouse_dir)}
        return SparkEngine(
            SparkSettings.from_env({**os.environ, **paths}), duckdb_memory_limit=settings.duckdb_memory_limit
        )
    raise ValueError(f"PRA_ENGINE={settings.engine!r}: this engine is not available in this build")


def relations_read_back(models: DbtModels) -> dict[str, tuple[str, str]]:
    """(schema, table) by model name of every model the Python side reads from the work DuckDB file, so an engine
    pulls them back after dbt: the published marts and what their publish gates read, the internal models (the
    restricted export), the predictive fit's summary, the judged incremental models (re-judging) and the quarantine
    (the console summary). Derived from the manifest and the readers' own constants, never listed twice."""
    from orchestration.lib import contract, predictive, rejudge

    read = {name for mart in models.published() for name in suite_reads(mart)}
    read |= {name for name, node in models.nodes.items() if node["schema"] == "internal"}
    judged = rejudge.windowed_judged_relations(models.nodes).values()
    for relation in (predictive.SUMMARY_RELATION, contract.QUARANTINE_RELATION, *judged):
        read.add(relation.split(".")[1])
    return {name: (models.nodes[name]["schema"], models.nodes[name]["alias"]) for name in sorted(read)}


def relations_to_pull(models: DbtModels, built: Collection[str]) -> list[tuple[str, str]]:
    """What an engine pulls back after a dbt step that built the models `built`: those the Python side reads."""
    return [relation for name, relation in relations_read_back(models).items() if name in built]


def drop_view(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """Drop the view `schema.name` of the work DuckDB file, if there is one, so a pull can put a table there.

    A warehouse built on DuckDB before the engine changed holds the models of dbt macro view_materialization as
    views, and DuckDB's `create or replace table` does not replace a view.
    """
    found = con.execute(
        "select count(*) from duckdb_views() where database_name = current_database() and schema_name = ? "
        "and view_name = ?",
        [schema, name],
    ).fetchone()[0]
    if found:
        con.execute("drop view " + ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name)))
