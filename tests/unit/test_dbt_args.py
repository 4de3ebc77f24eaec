import os
from datetime import date

import pytest

from orchestration.lib.dbt_args import (
    dbt_build_args,
    environment,
    file_log_env,
    run_args,
    run_env,
    window_env,
    window_vars,
)


def test_window_vars_are_half_open_and_as_of_is_last_day_inside():
    assert window_vars(date(2024, 1, 1), date(2024, 2, 1)) == {
        "min_date": "2024-01-01",
        "max_date": "2024-02-01",
        "as_of_date": "2024-01-31",
    }


def test_single_day_window():
    assert window_vars(date(2024, 3, 5), date(2024, 3, 6))["as_of_date"] == "2024-03-05"


def test_empty_window_is_refused():
    with pytest.raises(ValueError, match="empty window"):
        window_vars(date(2024, 3, 5), date(2024, 3, 5))


def test_window_reaches_dbt_as_environment_not_vars():
    env = window_env(date(2024, 1, 1), date(2024, 1, 3))
    assert env == {
        "PRA_DBT_PARTITIONED": "true",
        "PRA_DBT_MIN_DATE": "2024-01-01",
        "PRA_DBT_MAX_DATE": "2024-01-03",
        "PRA_DBT_AS_OF_DATE": "2024-01-02",
    }
    # A re-processed older window keeps the newest loaded day as the numbers' date.
    assert window_env(date(2024, 1, 1), date(2024, 1, 3), as_of=date(2024, 2, 9))["PRA_DBT_AS_OF_DATE"] == "2024-02-09"


def test_run_values_alone_reach_dbt_as_environment_and_a_window_makes_the_models_incremental():
    assert run_env({"as_of_date": "2025-03-31"}) == {"PRA_DBT_AS_OF_DATE": "2025-03-31"}
    assert run_env({"min_date": "2025-03-01", "max_date": "2025-04-01"}) == {
        "PRA_DBT_PARTITIONED": "true",
        "PRA_DBT_MIN_DATE": "2025-03-01",
        "PRA_DBT_MAX_DATE": "2025-04-01",
    }
    # A project var is not a run value: as an environment variable the models would never read it.
    with pytest.raises(ValueError, match=r"not a run value \(macro run_var\): \['period_grain'\]"):
        run_env({"period_grain": "quarter"})


def test_run_args_are_the_target_then_the_vars_sorted():
    assert run_args({"reporting_currency": "USD", "period_grain": "month"}, "duckdb") == [
        "--target",
        "duckdb",
        "--vars",
        '{"period_grain": "month", "reporting_currency": "USD"}',
    ]
    assert run_args() == []


def test_build_args_carry_only_the_project_vars():
    args = dbt_build_args(project_vars={"refund_policy": "sale_period"})
    assert args == ["build", "--exclude-resource-type", "unit_test", "--vars", '{"refund_policy": "sale_period"}']
    assert "--full-refresh" not in args
    assert dbt_build_args(full_refresh=True) == ["build", "--exclude-resource-type", "unit_test", "--full-refresh"]
    assert dbt_build_args(target="postgres")[-2:] == ["--target", "postgres"]


def test_environment_is_restored(monkeypatch):
    monkeypatch.setenv("PRA_DBT_MIN_DATE", "2020-01-01")
    monkeypatch.delenv("PRA_DBT_MAX_DATE", raising=False)
    with environment({"PRA_DBT_MIN_DATE": "2024-01-01", "PRA_DBT_MAX_DATE": "2024-01-02"}):
        assert os.environ["PRA_DBT_MIN_DATE"] == "2024-01-01"
    assert os.environ["PRA_DBT_MIN_DATE"] == "2020-01-01"
    assert "PRA_DBT_MAX_DATE" not in os.environ


def test_a_runs_dbt_file_log_is_at_info_unless_dbts_own_variable_says_otherwise(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    assert file_log_env() == {"DBT_LOG_LEVEL_FILE": "info"}
    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")
    assert file_log_env() == {"DBT_LOG_LEVEL_FILE": "debug"}
