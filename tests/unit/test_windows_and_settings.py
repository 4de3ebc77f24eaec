from datetime import date
from pathlib import Path

import pytest

from orchestration.lib.settings import Settings
from orchestration.lib.windows import RANGE_END_TAG, RANGE_START_TAG, nightly_window, range_tags


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


def test_window_from_tags():
    from orchestration.lib.windows import window_from_tags

    assert window_from_tags(range_tags(date(2024, 1, 1), date(2024, 1, 31))) == (date(2024, 1, 1), date(2024, 2, 1))
    assert window_from_tags({"dagster/partition": "2024-02-29"}) == (date(2024, 2, 29), date(2024, 3, 1))
    assert window_from_tags({"other": "x"}) is None


def test_duckdb_memory_limit_and_period_grain_defaults_and_overrides(tmp_path: Path):
    from orchestration.defs.resources import build_resources

    default = Settings.from_env({"PRA_HOME": str(tmp_path)})
    assert (default.duckdb_memory_limit, default.period_grain) == ("3GB", "month")
    assert default.dbt_env()["PRA_DUCKDB_MEMORY_LIMIT"] == "3GB"
    s = Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_DUCKDB_MEMORY_LIMIT": "8GB", "PRA_PERIOD_GRAIN": "Quarter"})
    assert (s.duckdb_memory_limit, s.period_grain) == ("8GB", "quarter")
    # The Dagster resource carries both: the dbt step passes period_grain as a dbt var, every DuckDB
    # connection (ingestion, dbt via the profile, the gates) gets the memory limit.
    warehouse = build_resources(s)["warehouse"]
    assert (warehouse.period_grain, warehouse.duckdb_memory_limit) == ("quarter", "8GB")
    assert warehouse.dbt_env()["PRA_DUCKDB_MEMORY_LIMIT"] == "8GB"


def test_an_unknown_period_grain_is_refused_by_name(tmp_path: Path):
    with pytest.raises(ValueError, match="PRA_PERIOD_GRAIN='week': choose one of month, quarter"):
        Settings.from_env({"PRA_HOME": str(tmp_path), "PRA_PERIOD_GRAIN": "week"})
