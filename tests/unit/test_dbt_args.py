import json
from datetime import date

import pytest

from orchestration.lib.dbt_args import dbt_build_args, window_vars


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


def test_build_args_serialise_vars_as_json():
    args = dbt_build_args(date(2024, 1, 1), date(2024, 1, 3), extra_vars={"refund_policy": "sale_period"})
    assert args[:5] == ["build", "--exclude-resource-type", "unit_test", "--vars", args[4]]
    assert json.loads(args[4]) == {
        "as_of_date": "2024-01-02",
        "max_date": "2024-01-03",
        "min_date": "2024-01-01",
        "refund_policy": "sale_period",
    }
    assert "--full-refresh" not in args
    assert dbt_build_args(date(2024, 1, 1), date(2024, 1, 3), full_refresh=True)[-1] == "--full-refresh"
