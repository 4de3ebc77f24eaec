"""What a gate records for each expectation: GE gives every verdict, and the observed values a person reads."""

from __future__ import annotations

import pandas as pd

from orchestration.lib import gx_runner
from orchestration.lib.gx_runner import WARNING, at_least, between, one_value


def _outcomes(df: pd.DataFrame, checks: list[gx_runner.Check]) -> list[gx_runner.ExpectationOutcome]:
    return gx_runner._validate(df, checks, "mart", "test_gate_outcomes__publish")


def test_each_check_keeps_its_verdict_and_what_it_observed():
    """Five rows, one null. A plain range check that passes has no unexpected value by its definition; one that fails
    names its unexpected values; a `mostly` warning that passes still counts the rows outside its range; an aggregate
    gives its value; a pair check that fails counts its failing rows."""
    df = pd.DataFrame(
        {
            "amount": [1.0, 2.0, 3.0, 4.0, None],
            "refunds": [0.0, 0.0, 5.0, 1.0, 0.0],
            "as_of_date": ["2025-03-31"] * 5,
        }
    )
    passes, fails, warns, single, pair = _outcomes(
        df,
        [
            between("amount", 0, 10),
            between("amount", 0, 2),
            between("amount", 0, 3, mostly=0.7, level=WARNING),
            one_value("as_of_date"),
            at_least("amount", "refunds"),
        ],
    )
    assert (passes.success, passes.observed) == (True, {"unexpected_count": 0, "sample": []})
    assert (fails.success, fails.observed["unexpected_count"], fails.observed["sample"]) == (False, 2, [3.0, 4.0])
    assert [row["amount"] for row in fails.failing_rows] == [3.0, 4.0]
    # 1 of the 4 filled values is above 3: 25 % unexpected, within the 30 % that `mostly=0.7` allows.
    assert (warns.success, warns.observed["unexpected_count"], warns.observed["unexpected_percent"]) == (True, 1, 25.0)
    assert (single.success, single.observed) == (True, 1)
    # Row 3 has refunds 5 above an amount of 3; row 5 has no amount (GE skips a row only when both are empty).
    assert (pair.success, pair.observed["unexpected_count"]) == (False, 2)
    assert [o.expectation for o in (passes, fails, warns, single, pair)] == [
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_between",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
    ]


def test_only_the_checks_whose_observed_value_is_read_are_asked_for_it():
    """The plain map checks that pass are judged by GE's verdict alone; the aggregates, the `mostly` checks and the
    failed checks are validated again for their observed values."""
    checks = [
        between("amount", 0, 10),
        between("amount", 0, 3, mostly=0.7, level=WARNING),
        one_value("as_of_date"),
        at_least("amount", "refunds"),
    ]
    assert [gx_runner.observed_when_passed(c) for c in checks] == [
        {"unexpected_count": 0, "sample": []},
        None,
        None,
        {"unexpected_count": 0, "sample": []},
    ]


def test_a_check_ge_cannot_evaluate_fails_and_says_why():
    """A suite naming a column the mart does not have: the check fails, and its line gives GE's reason."""
    (missing,) = _outcomes(pd.DataFrame({"amount": [1.0]}), [between("amount_typo", 0, 1)])
    assert (missing.success, missing.column) == (False, "amount_typo")
    assert missing.error == 'Error: The column "amount_typo" in BatchData does not exist.'
    assert missing.line().endswith('error=Error: The column "amount_typo" in BatchData does not exist.')
