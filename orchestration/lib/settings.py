"""Settings: every PRA_* variable, its default and how its text becomes a value (listed in .env.example).

The one place values are parsed. Dagster runs get them through resources configured with `dg.EnvVar`
(orchestration/defs/resources.py), which hand the raw values back here; `pra` and the code location's
load step (schedules, partitions) call `Settings.from_env`. Nothing here reads the environment at import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# DuckDB's own default is 80% of the machine's memory. The pipeline caps each DuckDB connection lower so a
# run has a known footprint (DuckDB spills to disk above it): dbt's process peaks 0.8-0.9 GB above its limit,
# beside a Dagster run process of about 0.5 GB, and the publication's sorted copies run in the Dagster process.
# 2.5GB keeps the large bench preset's whole process tree under 4 GB (docs/benchmarks.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "2.5GB"
PERIOD_GRAINS = ("month", "quarter")  # the dbt var period_grain (docs/metrics.md)
ON_BAD_LINES = ("fail", "quarantine")  # PRA_ON_BAD_LINES: what the ingestion does with an unreadable CSV line
PREDICT_METHODS = ("map", "mcmc")  # PRA_PREDICT_METHOD (orchestration/lib/predictive.py)
# PRA_ENGINE: where dbt builds the models; also the dbt target's name in dbt_project/profiles.yml
# (orchestration/lib/engines, docs/scale-out.md). DuckDB stays the landing zone whatever the engine.
ENGINES = ("duckdb", "postgres", "spark")
# First daily partition when PRA_PARTITIONS_START is unset. Landing days before it cannot be loaded
# (`pra run` says so); set the variable to the first day of your history (the demo sets it to its own).
DEFAULT_PARTITIONS_START = "2020-01-01"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
# dbt's `history_start_date` (dbt_project.yml): where the period and fx-day spines begin. Partner months start
# at signup, often years before the first landed day, so the spines start well before the partitions; only
# partitions that start even earlier move it back (dbt_vars).
DBT_HISTORY_START = date(2000, 1, 1)

# Settings field -> environment variable.
ENV_VARS: dict[str, str] = {
    "home": "PRA_HOME",
    "landing_dir": "PRA_LANDING_DIR",
    "warehouse_dir": "PRA_WAREHOUSE_DIR",
    "published_db": "PRA_PUBLISHED_DB",
    "reporting_currency": "PRA_REPORTING_CURRENCY",
    "timezone": "PRA_TIMEZONE",
    "nightly_cron": "PRA_NIGHTLY_CRON",
    "full_rebuild_cron": "PRA_FULL_REBUILD_CRON",
    "lookback_days": "PRA_LOOKBACK_DAYS",
    "partitions_start": "PRA_PARTITIONS_START",
    "period_grain": "PRA_PERIOD_GRAIN",
    "duckdb_memory_limit": "PRA_DUCKDB_MEMORY_LIMIT",
    "keep_versions": "PRA_KEEP_VERSIONS",
    "publish_personal_columns": "PRA_PUBLISH_PERSONAL_COLUMNS",
    "freshness_hours": "PRA_FRESHNESS_HOURS",
    "volume_max_drop": "PRA_VOLUME_MAX_DROP",
    "volume_max_growth": "PRA_VOLUME_MAX_GROWTH",
    "volume_min_day_share": "PRA_VOLUME_MIN_DAY_SHARE",
    "volume_min_rows": "PRA_VOLUME_MIN_ROWS",
    "on_bad_lines": "PRA_ON_BAD_LINES",
    "predict_every_days": "PRA_PREDICT_EVERY_DAYS",
    "predict_method": "PRA_PREDICT_METHOD",
    "predict_ltv_months": "PRA_PREDICT_LTV_MONTHS",
    "predict_discount_rate": "PRA_PREDICT_DISCOUNT_RATE",
    "predict_pareto_nbd": "PRA_PREDICT_PARETO_NBD",
    "alert_webhook_url": "PRA_ALERT_WEBHOOK_URL",
    "publish_pg_host": "PRA_PUBLISH_PG_HOST",
    "publish_pg_port": "PRA_PUBLISH_PG_PORT",
    "publish_pg_database": "PRA_PUBLISH_PG_DATABASE",
    "publish_pg_user": "PRA_PUBLISH_PG_USER",
    "publish_pg_password": "PRA_PUBLISH_PG_PASSWORD",
    "publish_pg_sslmode": "PRA_PUBLISH_PG_SSLMODE",
    "publish_pg_bi_role": "PRA_PUBLISH_PG_BI_ROLE",
    "publish_pg_partner_role": "PRA_PUBLISH_PG_PARTNER_ROLE",
    "ui_url": "PRA_UI_URL",
    "log_level": "PRA_LOG_LEVEL",
    "engine": "PRA_ENGINE",
    # The PostgreSQL engine's server; dbt_project/profiles.yml reads the same variables.
    "pg_host": "PRA_PG_HOST",
    "pg_port": "PRA_PG_PORT",
    "pg_database": "PRA_PG_DATABASE",
    "pg_user": "PRA_PG_USER",
    "pg_password": "PRA_PG_PASSWORD",
}
# The Settings fields dbt reads from the environment (profiles.yml) rather than from --vars: the work file's memory
# limit, the engine's target and connection. Not --vars: a password there would land in dbt's logs and parsed project,
# and a changed --vars value makes dbt parse the whole project again. The work file's path travels the same way, as
# PRA_WORK_DB (derived from the warehouse folder, not a setting of its own).
DBT_ENV_FIELDS = ("duckdb_memory_limit", "engine", "pg_host", "pg_port", "pg_database", "pg_user", "pg_password")
WORK_DB_ENV = "PRA_WORK_DB"


def _flag(variable: str, value: str | None, default: bool) -> bool:
    """A yes/no setting: true/1/yes/on or false/0/no/off (any case); unset or empty is `default`."""
    if not value:
        return default
    if value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{variable}={value!r}: choose true or false")


def demo_data_start(landing_dir: Path) -> str | None:
    """The first day of the demo data in the default landing folder (its `_manifest.json`), if there is one.

    With PRA_PARTITIONS_START and PRA_LANDING_DIR unset, the daily partitions start there, so `pra` and
    `make dev` after `make demo` show the demo's days, not years of empty days since 2020.
    """
    manifest = landing_dir / "_manifest.json"
    try:
        return json.loads(manifest.read_text())["start"]
    except (OSError, ValueError, KeyError):
        return None


@dataclass(frozen=True)
class Settings:
    """Paths and program-level settings, parsed; build with `from_env` or `from_values`."""

    home: Path
    landing_dir: Path
    warehouse_dir: Path
    published_db: Path
    reporting_currency: str = "USD"
    timezone: str = "UTC"
    nightly_cron: str = "30 2 * * *"
    full_rebuild_cron: str = "0 4 * * 0"
    lookback_days: int = 35
    partitions_start: date = date.fromisoformat(DEFAULT_PARTITIONS_START)
    period_grain: str = "month"
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    keep_versions: int = 5
    publish_personal_columns: frozenset[str] = frozenset()
    freshness_hours: float = 30.0
    # Volume checks of the ingestion step (orchestration/lib/volume.py): shares as fractions, 0.2 = 20 %.
    volume_max_drop: float = 0.2
    volume_max_growth: float = 0.5
    volume_min_day_share: float = 0.3
    volume_min_rows: int = 50
    # A CSV line the ingestion cannot read: "fail" the load, or "quarantine" it (orchestration/lib/ingestion.py).
    on_bad_lines: str = "fail"
    # Predictive models (docs/metrics.md "Predictive partner health"): refit when the data's as-of date is this
    # many days past the last converged fit; MAP or MCMC; LTV horizon in months; annual discount rate (0.1 = 10 %).
    predict_every_days: int = 7
    predict_method: str = "map"
    predict_ltv_months: int = 24
    predict_discount_rate: float = 0.10
    # Fit Pareto/NBD beside BG/NBD: off by default, its MAP fit takes minutes on partners with hundreds of sale days
    # (docs/benchmarks.md "Predictive fit alone").
    predict_pareto_nbd: bool = False
    alert_webhook_url: str = ""
    # PostgreSQL publish target (orchestration/lib/publish_postgres.py): off while the host is empty. The password
    # is a secret: kept out of repr, so no log line or error that prints the settings shows it.
    publish_pg_host: str = ""
    publish_pg_port: int = 5432
    publish_pg_database: str = "partner_retention"
    publish_pg_user: str = "pra_pipeline"
    publish_pg_password: str = field(default="", repr=False)
    publish_pg_sslmode: str = "prefer"
    publish_pg_bi_role: str = "pra_bi"
    publish_pg_partner_role: str = "pra_partner_managers"
    ui_url: str = DEFAULT_UI_URL
    log_level: str = "INFO"
    engine: str = "duckdb"
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_database: str = "pra"
    pg_user: str = "pra"
    pg_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.period_grain not in PERIOD_GRAINS:
            raise ValueError(f"PRA_PERIOD_GRAIN={self.period_grain!r}: choose one of {', '.join(PERIOD_GRAINS)}")
        if self.on_bad_lines not in ON_BAD_LINES:
            raise ValueError(f"PRA_ON_BAD_LINES={self.on_bad_lines!r}: choose one of {', '.join(ON_BAD_LINES)}")
        if self.predict_method not in PREDICT_METHODS:
            choices = ", ".join(PREDICT_METHODS)
            raise ValueError(f"PRA_PREDICT_METHOD={self.predict_method!r}: choose one of {choices}")
        if self.engine not in ENGINES:
            raise ValueError(f"PRA_ENGINE={self.engine!r}: choose one of {', '.join(ENGINES)}")

    @property
    def work_db(self) -> Path:
        """The work warehouse: raw, staging and marts as dbt builds them; never read by BI."""
        return self.warehouse_dir / "work.duckdb"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this warehouse's runs: its parsed project is kept there between runs."""
        return self.warehouse_dir / "dbt_target"

    @property
    def published_dir(self) -> Path:
        """Where published versions live (see docs/operations.md)."""
        return self.warehouse_dir / "published"

    @property
    def report_dir(self) -> Path:
        """Where the KPI report and the partner scorecards are written after each publish (docs/operations.md)."""
        return self.warehouse_dir / "report"

    def dbt_vars(self) -> dict[str, str]:
        """dbt vars the committed project reads: the same for every warehouse of one configuration, so a new
        warehouse's first run keeps the project's saved parse (the warehouse's path is in dbt_env)."""
        history = {"history_start_date": self.partitions_start.isoformat()}
        return {
            "reporting_currency": self.reporting_currency,
            "period_grain": self.period_grain,
            **(history if self.partitions_start < DBT_HISTORY_START else {}),
        }

    def dbt_env(self) -> dict[str, str]:
        """Environment of a dbt command, as profiles.yml reads it: the work file (PRA_WORK_DB) and its memory limit,
        the engine's target (PRA_ENGINE) and connection; the resource's values, which may differ from this
        process's environment."""
        # PGTZ: libpq's session time zone, so dbt's PostgreSQL sessions run in UTC whatever the server's default.
        fields = {ENV_VARS[f]: str(getattr(self, f)) for f in DBT_ENV_FIELDS}
        return {WORK_DB_ENV: str(self.work_db), **fields, "PGTZ": "UTC"}

    @classmethod
    def from_values(cls, values: Mapping[str, str | None]) -> Settings:
        """Parse raw values keyed by field name (None or empty: the default); paths resolve against `home`."""

        def raw(field: str) -> str | None:
            value = values.get(field)
            return value.strip() if isinstance(value, str) and value.strip() else None

        home = Path(raw("home") or Path.cwd()).resolve()

        def path(field: str, default: str | Path) -> Path:
            value = Path(raw(field) or default)
            return value if value.is_absolute() else home / value

        warehouse_dir = path("warehouse_dir", "warehouse")
        defaults = cls.__dataclass_fields__
        return cls(
            home=home,
            landing_dir=path("landing_dir", "data/landing"),
            warehouse_dir=warehouse_dir,
            published_db=path("published_db", warehouse_dir / "marts.duckdb"),
            reporting_currency=(raw("reporting_currency") or defaults["reporting_currency"].default).upper(),
            timezone=raw("timezone") or defaults["timezone"].default,
            nightly_cron=raw("nightly_cron") or defaults["nightly_cron"].default,
            full_rebuild_cron=raw("full_rebuild_cron") or defaults["full_rebuild_cron"].default,
            lookback_days=int(raw("lookback_days") or defaults["lookback_days"].default),
            partitions_start=date.fromisoformat(
                raw("partitions_start")
                or (None if raw("landing_dir") else demo_data_start(home / "data/landing"))
                or DEFAULT_PARTITIONS_START
            ),
            period_grain=(raw("period_grain") or defaults["period_grain"].default).lower(),
            duckdb_memory_limit=raw("duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT,
            keep_versions=max(1, int(raw("keep_versions") or defaults["keep_versions"].default)),
            publish_personal_columns=frozenset(
                c.strip() for c in (raw("publish_personal_columns") or "").split(",") if c.strip()
            ),
            freshness_hours=float(raw("freshness_hours") or defaults["freshness_hours"].default),
            volume_max_drop=float(raw("volume_max_drop") or defaults["volume_max_drop"].default),
            volume_max_growth=float(raw("volume_max_growth") or defaults["volume_max_growth"].default),
            volume_min_day_share=float(raw("volume_min_day_share") or defaults["volume_min_day_share"].default),
            volume_min_rows=int(raw("volume_min_rows") or defaults["volume_min_rows"].default),
            on_bad_lines=(raw("on_bad_lines") or defaults["on_bad_lines"].default).lower(),
            predict_every_days=max(0, int(raw("predict_every_days") or defaults["predict_every_days"].default)),
            predict_method=(raw("predict_method") or defaults["predict_method"].default).lower(),
            predict_ltv_months=max(1, int(raw("predict_ltv_months") or defaults["predict_ltv_months"].default)),
            predict_discount_rate=float(raw("predict_discount_rate") or defaults["predict_discount_rate"].default),
            predict_pareto_nbd=_flag("PRA_PREDICT_PARETO_NBD", raw("predict_pareto_nbd"), False),
            alert_webhook_url=raw("alert_webhook_url") or "",
            publish_pg_host=raw("publish_pg_host") or "",
            publish_pg_port=int(raw("publish_pg_port") or defaults["publish_pg_port"].default),
            publish_pg_database=raw("publish_pg_database") or defaults["publish_pg_database"].default,
            publish_pg_user=raw("publish_pg_user") or defaults["publish_pg_user"].default,
            # Not stripped: a password may end in a space.
            publish_pg_password=values.get("publish_pg_password") or "",
            publish_pg_sslmode=raw("publish_pg_sslmode") or defaults["publish_pg_sslmode"].default,
            publish_pg_bi_role=raw("publish_pg_bi_role") or defaults["publish_pg_bi_role"].default,
            publish_pg_partner_role=raw("publish_pg_partner_role") or defaults["publish_pg_partner_role"].default,
            ui_url=(raw("ui_url") or DEFAULT_UI_URL).rstrip("/"),
            log_level=(raw("log_level") or defaults["log_level"].default).upper(),
            engine=(raw("engine") or defaults["engine"].default).lower(),
            pg_host=raw("pg_host") or defaults["pg_host"].default,
            pg_port=int(raw("pg_port") or defaults["pg_port"].default),
            pg_database=raw("pg_database") or defaults["pg_database"].default,
            pg_user=raw("pg_user") or defaults["pg_user"].default,
            # Not stripped like the others: a password may begin or end with a space.
            pg_password=values.get("pg_password") or "",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: os.environ, read when called): for `pra` and the load step."""
        env = os.environ if environ is None else environ
        return cls.from_values({field: env.get(var) for field, var in ENV_VARS.items()})
