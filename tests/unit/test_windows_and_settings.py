from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from orchestration.lib.publish import PublishSettings
from orchestration.lib.settings import Settings
from orchestration.lib.windows import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    checked_from,
    checked_from_tags,
    nightly_window,
    range_tags,
)


def test_nightly_window_is_yesterday_plus_lookback():
    assert nightly_window(date(2024, 3, 10), 35, date(2020, 1, 1)) == (date(2024, 2, 4), date(2024, 3, 9))
    assert nightly_window(date(2024, 3, 10), 1, date(2020, 1, 1)) == (date(2024, 3, 9), date(2024, 3, 9))


def test_nightly_window_never_starts_before_the_first_partition():
    assert nightly_window(date(2020, 1, 5), 35, date(2020, 1, 1)) == (date(2020, 1, 1), date(2020, 1, 4))


def test_range_tags():
    assert range_tags(date(2024, 1, 1), date(2024, 1, 31)) == {
        RANGE_START_TAG: "2024-01-01",
        RANGE_END_TAG: "2024-01-31",
    }
    with pytest.raises(ValueError):
        range_tags(date(2024, 2, 1), date(2024, 1, 31))


def test_settings_defaults_resolve_against_home(tmp_path: Path):
    s = Settings.from_env({"PRA_HOME": str(tmp_path)})
    assert s.landing_dir == tmp_path / "data" / "landing"
    assert s.work_db == tmp_path / "warehouse" / "work.duckdb"
    assert (s.reporting_currency, s.timezone, s.lookback_days) == ("USD", "UTC", 35)


def test_settings_from_environment(tmp_path: Path):
    s = Settings.from_env(
        {
            "PRA_HOME": str(tmp_path),
            "PRA_LANDING_DIR": "/srv/landing",
            "PRA_REPORTING_CURRENCY": "eur",
            "PRA_LOOKBACK_DAYS": "7",
        }
    )
    assert s.landing_dir == Path("/srv/landing")
    assert s.reporting_currency == "EUR"
    assert s.lookback_days == 7
    assert s.dbt_env()["PRA_WORK_DB"] == str(tmp_path / "warehouse" / "work.duckdb")
    assert s.dbt_vars()["reporting_currency"] == "EUR"


def test_window_from_tags():
    from orchestration.lib.windows import window_from_tags

    assert window_from_tags(range_tags(date(2024, 1, 1), date(2024, 1, 31))) == (date(2024, 1, 1), date(2024, 2, 1))
    assert window_from_tags({"dagster/partition": "2024-02-29"}) == (date(2024, 2, 29), date(2024, 3, 1))
    assert window_from_tags({"other": "x"}) is None


def test_duckdb_memory_limit_and_period_grain_defaults_and_overrides(tmp_path: Path):
    from orchestration.defs.resources import build_resources

    default = Settings.from_env({"PRA_HOME": str(tmp_path)})
    assert (default.duckdb_memory_limit, default.period_grain) == ("2.5GB", "month")
    assert default.dbt_env()["PRA_DUCKDB_MEMORY_LIMIT"] == "2.5GB"
    env = {"PRA_HOME": str(tmp_path), "PRA_DUCKDB_MEMORY_LIMIT": "8GB", "PRA_PERIOD_GRAIN": "Quarter"}
    s = Settings.from_env(env)
    assert (s.duckdb_memory_limit, s.period_grain) == ("8GB", "quarter")
    # The Dagster resource takes both from the variables (dg.EnvVar, resolved by Dagster when a run starts):
    # the dbt step passes the memory limit to the profile as a variable, the grain as a dbt var; every DuckDB
    # connection (ingestion, the gates, the publication and its report) gets the memory limit.
    warehouse = build_resources(env)["warehouse"]
    assert warehouse.duckdb_memory_limit.env_var_name == "PRA_DUCKDB_MEMORY_LIMIT"
    assert warehouse.landing_dir is None  # unset: the default, resolved against PRA_HOME
    with pytest.MonkeyPatch.context() as mp:
        for var, value in env.items():
            mp.setenv(var, value)
        with dg.build_resources({"warehouse": warehouse}) as resources:
            resolved = resources.warehouse.settings
    # dbt's vars are the same for every warehouse (its saved parse holds); the path and memory limit reach the
    # profile as variables (Settings.dbt_env).
    assert resolved.dbt_vars() == {"reporting_currency": "USD", "period_grain": "quarter"}
    assert resolved.dbt_env()["PRA_WORK_DB"] == str(tmp_path / "warehouse" / "work.duckdb")
    assert resolved.dbt_env()["PRA_DUCKDB_MEMORY_LIMIT"] == "8GB"
    assert resolved.landing_dir == tmp_path / "data" / "landing"
    assert PublishSettings.from_settings(resolved).memory_limit == "8GB"


def test_an_unknown_period_grain_is_refused_by_name(tmp_path: Path):
    with pytest.raises(ValueError, match="PRA_PERIOD_GRAIN='week': choose one of month, quarter"):
        Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_PERIOD_GRAIN": "week"})


def test_partitions_start_is_a_setting_and_a_range_outside_it_is_one_clear_line(tmp_path: Path):
    from orchestration.lib.windows import range_problem

    assert Settings.from_env({"PRA_HOME": str(tmp_path)}).partitions_start == date(2020, 1, 1)
    s = Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_PARTITIONS_START": "1997-01-01"})
    assert s.partitions_start == date(1997, 1, 1)
    today = date(2025, 6, 1)
    assert range_problem(date(1997, 1, 1), date(1997, 1, 3), s.partitions_start, today) is None
    assert range_problem(date(1997, 1, 1), date(1997, 1, 3), date(2020, 1, 1), today) == (
        "1997-01-01 is before the first daily partition 2020-01-01: set PRA_PARTITIONS_START=1997-01-01 "
        "(or earlier) to load that history"
    )
    assert range_problem(date(2025, 5, 1), date(2025, 6, 1), date(2020, 1, 1), today) == (
        "2025-06-01 is not a complete day yet: the last daily partition is 2025-05-31"
    )
    assert "before it starts" in range_problem(date(2025, 5, 2), date(2025, 5, 1), date(2020, 1, 1), today)


def test_partitions_before_dbt_history_start_move_the_spines_back(tmp_path: Path):
    import yaml

    from orchestration.lib.settings import DBT_HISTORY_START

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml").read_text())
    assert date.fromisoformat(project["vars"]["history_start_date"]) == DBT_HISTORY_START  # the same day
    assert "history_start_date" not in Settings.from_env({"PRA_HOME": str(tmp_path)}).dbt_vars()
    early = Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_PARTITIONS_START": "1997-01-01"})
    assert early.dbt_vars()["history_start_date"] == "1997-01-01"


def test_partitions_start_where_the_demo_data_in_the_default_landing_folder_starts(tmp_path: Path):
    home = {"PRA_HOME": str(tmp_path)}
    landing = tmp_path / "data" / "landing"
    landing.mkdir(parents=True)
    (landing / "_manifest.json").write_text('{"preset": "small", "start": "2024-01-01", "end": "2025-03-31"}')
    # After `make demo`: `pra` and `make dev` start the daily partitions on the demo's first day.
    assert Settings.from_env(home).partitions_start == date(2024, 1, 1)
    # The setting wins; another landing folder is not the demo's, so its manifest says nothing.
    assert Settings.from_env(home | {"PRA_PARTITIONS_START": "2023-06-01"}).partitions_start == date(2023, 6, 1)
    assert Settings.from_env(home | {"PRA_LANDING_DIR": str(landing)}).partitions_start == date(2020, 1, 1)


def test_the_engine_is_a_setting_refused_by_name_and_its_server_reaches_dbt_as_environment(tmp_path: Path):
    with pytest.raises(ValueError, match="PRA_ENGINE='oracle': choose one of duckdb, postgres, spark"):
        Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_ENGINE": "oracle"})
    settings = Settings.from_env(
        {"PRA_HOME": str(tmp_path), "PRA_ENGINE": "Postgres", "PRA_PG_PORT": "6543", "PRA_PG_PASSWORD": " s3cret "}
    )
    assert (settings.engine, settings.pg_host, settings.pg_port, settings.pg_database) == (
        "postgres",
        "127.0.0.1",
        6543,
        "pra",
    )
    assert "s3cret" not in repr(settings)
    assert settings.dbt_env() == {
        "PRA_WORK_DB": str(tmp_path / "warehouse" / "work.duckdb"),
        "PRA_DUCKDB_MEMORY_LIMIT": "2.5GB",
        "PRA_ENGINE": "postgres",
        "PRA_PG_HOST": "127.0.0.1",
        "PRA_PG_PORT": "6543",
        "PRA_PG_DATABASE": "pra",
        "PRA_PG_USER": "pra",
        "PRA_PG_PASSWORD": " s3cret ",
        "PGTZ": "UTC",
    }
    assert Settings.from_env({"PRA_HOME": str(tmp_path)}).engine == "duckdb"


def test_a_dbt_step_records_the_rows_its_checks_read_for_the_gates():
    window = checked_from_tags("dbt_models", date(2025, 11, 28), full_refresh=False)
    assert window == {"pra/dbt_models/checked_from": "2025-11-28"}
    assert checked_from(window) == date(2025, 11, 28)
    # The weekly job's two dbt steps: the gates read the earliest day either tested from, every row if one did.
    second = checked_from_tags("dbt_models_2", date(2025, 12, 1), full_refresh=False)
    assert checked_from({**window, **second, "dagster/partition": "x"}) == date(2025, 11, 28)
    weekly = checked_from_tags("dbt_models", date(2025, 11, 28), full_refresh=True)
    assert weekly == {"pra/dbt_models/checked_from": "all"}
    assert checked_from(weekly) is None
    assert checked_from({**weekly, **second}) is None
    assert checked_from({}) is None  # gates run without a dbt step: every row
