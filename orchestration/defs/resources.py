"""Resources: where the landing files and warehouses are, and the dbt CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings, dbt_profile_env

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# One pool for every step that writes the work warehouse: DuckDB allows a single writer per file.
WAREHOUSE_POOL = "duckdb_work_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The landing folder and the DuckDB work warehouse; values default from PRA_* environment variables."""

    landing_dir: str
    warehouse_dir: str
    reporting_currency: str = "USD"
    timezone: str = "UTC"
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    period_grain: str = "month"

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def work_db(self) -> Path:
        return Path(self.warehouse_dir) / "work.duckdb"

    def dbt_env(self) -> dict[str, str]:
        """Environment the committed dbt profile reads."""
        return dbt_profile_env(self.work_db, self.reporting_currency, self.duckdb_memory_limit)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the work warehouse; the caller holds the single-writer pool when writing."""
        self.work_db.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            str(self.work_db), read_only=read_only, config={"memory_limit": self.duckdb_memory_limit}
        )
        try:
            yield con
        finally:
            con.close()


def dbt_project() -> DbtProject:
    """The dbt project; its manifest is built by `pra manifest` (make manifest), never at import."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def build_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    """Resources for the code location, from the environment at load time."""
    settings = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource(
            landing_dir=str(settings.landing_dir),
            warehouse_dir=str(settings.warehouse_dir),
            reporting_currency=settings.reporting_currency,
            timezone=settings.timezone,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            period_grain=settings.period_grain,
        ),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # The dbt next to this interpreter, so a venv works without being activated.
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
