"""The bench's agreement check, once, on the session's small-preset run: the floor SQL script equals the pipeline.

`make bench` runs the full check (floor and pandas peer against the pipeline's full run, and the floor against
its nightly run, on every preset it measures) and exits non-zero on a difference; this is the one small
agreement case kept in `make test`, plus two checks that the comparison means something (the outputs are
not trivial, and one cent or one sale is a difference).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bench import agreement, floor
from tests.helpers import PipelineDirs


def _as_of(dirs: PipelineDirs) -> date:
    return date.fromisoformat(dirs.manifest()["end"])


@pytest.fixture(scope="module")
def full_outputs(small_pipeline: PipelineDirs) -> dict[str, pd.DataFrame]:
    """The pipeline's core outputs after the full small-preset run."""
    return agreement.load_pipeline(small_pipeline.work_db)


def test_floor_agrees_with_pipeline(small_pipeline, full_outputs, tmp_path: Path):
    out = tmp_path / "floor.duckdb"
    floor.run(small_pipeline.landing, _as_of(small_pipeline), out)

    assert agreement.compare(full_outputs, agreement.load_floor(out), "floor") == []


def test_outputs_are_not_trivial(full_outputs):
    """Agreement of empty outputs would prove nothing: every kind of row the checks compare is present."""
    fct, quarantine = full_outputs["fct_partner_monthly"], full_outputs["quarantine_summary"]
    assert fct["is_active"].any() and (~fct["is_active"]).any()
    assert fct["refund_count"].sum() > 0 and fct["leads_converted"].sum() > 0
    reasons = set(quarantine.loc[quarantine["entity"] == "transactions", "rejection_reason"])
    assert {"duplicate_key", "unknown_partner", "negative_amount", "bad_currency", "future_date"} <= reasons
    retention = full_outputs["fct_retention_monthly"]
    for column in ("partners_new_count", "partners_churned_count", "partners_reactivated_count"):
        assert retention[column].sum() > 0, column
    assert set(full_outputs["fct_partner_tiers_monthly"]["tier"]) == {"platinum", "gold", "silver", "bronze"}


def test_agreement_reports_a_cent_and_a_count(full_outputs):
    """The check is strict: one cent of money or one sale on one partner-month is a difference."""
    changed = {name: df.copy() for name, df in full_outputs.items()}
    fct = changed["fct_partner_monthly"]
    fct.loc[0, "net_revenue_reporting"] += 0.01
    fct.loc[1, "sale_count"] += 1
    changed["fct_partner_monthly"] = fct.drop(index=2)

    diffs = agreement.compare(full_outputs, changed, "changed")

    assert any("net_revenue_reporting: 1 rows differ" in d for d in diffs)
    assert any("sale_count: 1 rows differ" in d for d in diffs)
    assert any("1 missing keys" in d for d in diffs)
    assert agreement.compare(full_outputs, full_outputs, "same") == []
