"""Runtime settings from environment variables with local defaults (documented in .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# DuckDB's own default is 80% of the machine's memory. The pipeline caps each DuckDB process lower so a
# nightly run has a known footprint beside the Dagster process (DuckDB spills to disk above it).
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
PERIOD_GRAINS = ("month", "quarter")  # the dbt var period_grain (docs/metrics.md)


def dbt_profile_env(work_db: Path, reporting_currency: str, duckdb_memory_limit: str) -> dict[str, str]:
    """Environment variables the committed dbt profile (dbt_project/profiles.yml) reads."""
    return {
        "PRA_WORK_DB": str(work_db),
        "PRA_REPORTING_CURRENCY": reporting_currency,
        "PRA_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit,
    }


@dataclass(frozen=True)
class Settings:
    """Paths and program-level settings; read from the environment when called, never at import."""

    home: Path
    landing_dir: Path
    warehouse_dir: Path
    reporting_currency: str
    timezone: str
    nightly_cron: str
    lookback_days: int
    full_rebuild_cron: str
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    period_grain: str = "month"

    def __post_init__(self) -> None:
        if self.period_grain not in PERIOD_GRAINS:
            raise ValueError(f"PRA_PERIOD_GRAIN={self.period_grain!r}: choose one of {', '.join(PERIOD_GRAINS)}")

    @property
    def work_db(self) -> Path:
        """The work warehouse: raw, staging and marts as dbt builds them; never read by BI."""
        return self.warehouse_dir / "work.duckdb"

    @property
    def published_dir(self) -> Path:
        """Where published versions live (see docs/operations.md)."""
        return self.warehouse_dir / "published"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables the committed dbt profile reads."""
        return dbt_profile_env(self.work_db, self.reporting_currency, self.duckdb_memory_limit)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: os.environ); relative paths resolve against PRA_HOME."""
        env = os.environ if environ is None else environ
        home = Path(env.get("PRA_HOME") or Path.cwd()).resolve()

        def path(var: str, default: str) -> Path:
            value = Path(env.get(var) or default)
            return value if value.is_absolute() else home / value

        return cls(
            home=home,
            landing_dir=path("PRA_LANDING_DIR", "data/landing"),
            warehouse_dir=path("PRA_WAREHOUSE_DIR", "warehouse"),
            reporting_currency=(env.get("PRA_REPORTING_CURRENCY") or "USD").upper(),
            timezone=env.get("PRA_TIMEZONE") or "UTC",
            nightly_cron=env.get("PRA_NIGHTLY_CRON") or "30 2 * * *",
            lookback_days=int(env.get("PRA_LOOKBACK_DAYS") or 35),
            full_rebuild_cron=env.get("PRA_FULL_REBUILD_CRON") or "0 4 * * 0",
            duckdb_memory_limit=env.get("PRA_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
            period_grain=(env.get("PRA_PERIOD_GRAIN") or "month").strip().lower(),
        )
