"""Resources: the settings a run reads (landing, warehouse, publication, alerts) and the dbt CLI.

Each field of a settings resource is the raw text of its PRA_* variable (`orchestration/lib/settings.py`
names them): `build_resources` configures the fields whose variable is set with `dg.EnvVar`, so Dagster
resolves the values when a run starts (and the UI shows the variable's name, never a secret's value);
unset fields keep their default. Code reads parsed values through `.settings`.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration.lib.dbt_args import environment, file_log_env, installed_dbt
from orchestration.lib.settings import ENV_VARS, Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# One pool for every step that writes the work warehouse: DuckDB allows a single writer per file.
WAREHOUSE_POOL = "duckdb_work_warehouse"
# Who answers for every asset (the owner on each asset page): one team owns the pipeline end to end. A dbt
# model may name its own in `meta: {dagster: {owners: [...]}}`.
OWNERS = ["team:partner-analytics"]


class ProjectDbtCliResource(DbtCliResource):
    """dagster-dbt's `DbtCliResource` without two things it does in the Dagster process before a run's dbt commands.

    - The dbt adapter it builds before each command. dagster-dbt uses it only for `fetch_row_counts()` and
      `fetch_column_metadata()` on a dbt stream, which this project does not call. Building it loads dbt's profile,
      project and macros again in the Dagster process: 0.9-2.6 s per dbt step on this project's machines
      (docs/benchmarks.md), two dbt steps per run.
    - The `dbt --version` process it starts once per run to learn dbt's version (to tell dbt Core from the Fusion
      engine): about 3 s, importing dbt and asking the package index for the latest release. The project's dbt is
      the one installed beside this interpreter, so its version is the installed dbt-core package's.
    dbt itself runs as before, in its own process, with its file log at info (`cli`).
    tests/integration/test_dbt_asset_specs.py checks that dagster-dbt still asks both hooks and that a dbt command
    starts no other process.
    """

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's hook: no adapter here)
        return None

    def cli(self, args, **kwargs):
        """dagster-dbt's command, with dbt's file log at the project's level (lib/dbt_args.py, file_log_env)."""
        with environment(file_log_env()):  # dbt's process starts inside and inherits it
            return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == installed_dbt():
            return Version(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # another dbt: ask it, as dagster-dbt does


class WarehouseResource(dg.ConfigurableResource):
    """Landing folder, work warehouse, dbt engine, volume checks, publication, freshness and predictive settings."""

    home: str | None = None
    landing_dir: str | None = None
    warehouse_dir: str | None = None
    published_db: str | None = None
    reporting_currency: str | None = None
    timezone: str | None = None
    period_grain: str | None = None
    partitions_start: str | None = None  # also a load-time setting; the dbt step reads it (Settings.dbt_vars)
    duckdb_memory_limit: str | None = None
    keep_versions: str | None = None
    publish_personal_columns: str | None = None
    freshness_hours: str | None = None
    volume_max_drop: str | None = None
    volume_max_growth: str | None = None
    volume_min_day_share: str | None = None
    volume_min_rows: str | None = None
    on_bad_lines: str | None = None
    predict_every_days: str | None = None
    predict_method: str | None = None
    predict_ltv_months: str | None = None
    predict_discount_rate: str | None = None
    predict_pareto_nbd: str | None = None
    # Where dbt builds (PRA_ENGINE) and the PostgreSQL engine's server (orchestration/lib/engines).
    engine: str | None = None
    pg_host: str | None = None
    pg_port: str | None = None
    pg_database: str | None = None
    pg_user: str | None = None
    pg_password: str | None = None

    @property
    def settings(self) -> Settings:
        """The parsed settings (defaults for unset fields, paths resolved against `home`)."""
        return Settings.from_values(self.model_dump())

    @property
    def landing_path(self) -> Path:
        return self.settings.landing_dir

    @property
    def work_db(self) -> Path:
        return self.settings.work_db

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the work warehouse; the caller holds the single-writer pool when writing."""
        settings = self.settings
        settings.work_db.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            str(settings.work_db), read_only=read_only, config={"memory_limit": settings.duckdb_memory_limit}
        )
        try:
            yield con
        finally:
            con.close()


class AlertResource(dg.ConfigurableResource):
    """Where failure alerts go: PRA_ALERT_WEBHOOK_URL (a secret; empty: log only), PRA_UI_URL, and the outbox of
    undelivered alerts under the warehouse folder (PRA_HOME, PRA_WAREHOUSE_DIR)."""

    home: str | None = None
    warehouse_dir: str | None = None
    alert_webhook_url: str | None = None
    ui_url: str | None = None

    @property
    def settings(self) -> Settings:
        """The parsed settings (only the alert fields are set here)."""
        return Settings.from_values(self.model_dump())


class PostgresPublishResource(dg.ConfigurableResource):
    """The PostgreSQL publish target (PRA_PUBLISH_PG_*; the password a secret, off while the host is empty) and
    PRA_KEEP_VERSIONS, which it shares with the DuckDB versions."""

    home: str | None = None
    keep_versions: str | None = None
    publish_pg_host: str | None = None
    publish_pg_port: str | None = None
    publish_pg_database: str | None = None
    publish_pg_user: str | None = None
    publish_pg_password: str | None = None
    publish_pg_sslmode: str | None = None
    publish_pg_bi_role: str | None = None
    publish_pg_partner_role: str | None = None

    @property
    def settings(self) -> Settings:
        """The parsed settings (only the PostgreSQL target's fields and keep_versions are set here)."""
        return Settings.from_values(self.model_dump())


def dbt_project() -> DbtProject:
    """The dbt project; its manifest is built by `pra manifest` (make manifest), never at import."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def from_environment(resource: type[dg.ConfigurableResource], environ: Mapping[str, str]) -> dg.ConfigurableResource:
    """`resource` with every field whose PRA_* variable is set (non-empty) configured as `dg.EnvVar`."""
    fields = resource.model_fields
    return resource(**{f: dg.EnvVar(ENV_VARS[f]) for f in fields if (environ.get(ENV_VARS[f]) or "").strip()})


def build_resources(environ: Mapping[str, str] | None = None) -> dict[str, dg.ConfigurableResource]:
    """Resources for the code location; called when it loads (never at import)."""
    env = os.environ if environ is None else environ
    return {
        "warehouse": from_environment(WarehouseResource, env),
        "alerts": from_environment(AlertResource, env),
        "publish_postgres": from_environment(PostgresPublishResource, env),
        "dbt": ProjectDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=str(installed_dbt()),
        ),
    }
