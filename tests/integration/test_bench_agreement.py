"""The four bench paths compute the same core outputs on the small preset (`make bench` compares their times).

Full: the session's small-preset pipeline run vs the floor SQL script vs the pandas peer.
Nightly: one new day on top of that history, run by the bench's pipeline entry point, vs the floor.
No timing is asserted here; timings belong to `make bench`.
"""

from __future__ import annotations

import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from bench import agreement, floor, peer_pandas
from bench.data import LOOKBACK_DAYS
from bench.measure import run_measured
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


def test_pandas_peer_agrees_with_pipeline(small_pipeline, full_outputs, tmp_path: Path):
    peer_pandas.run(small_pipeline.landing, _as_of(small_pipeline), tmp_path / "peer")

    assert agreement.compare(full_outputs, agreement.load_peer(tmp_path / "peer"), "peer") == []


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


def test_nightly_run_agrees_with_floor(small_pipeline, tmp_path: Path):
    """Full history already loaded, one new day lands, the nightly look-back run equals a fresh floor run."""
    from demo.generator import PRESETS, generate

    as_of = _as_of(small_pipeline)
    new_day = as_of + timedelta(days=1)
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(small_pipeline.landing, landing)
    shutil.copytree(small_pipeline.warehouse, warehouse)
    longer = tmp_path / "longer"
    generate(longer, "small", days=PRESETS["small"].days + 1)
    for folder in longer.glob(f"*/dt={new_day.isoformat()}"):
        shutil.copytree(folder, landing / folder.parent.name / folder.name)

    first = new_day - timedelta(days=LOOKBACK_DAYS - 1)
    cmd = [sys.executable, "-m", "bench.pipeline", "--landing", str(landing), "--warehouse", str(warehouse)]
    cmd += ["--first", first.isoformat(), "--last", new_day.isoformat()]
    measured = run_measured(cmd, log=tmp_path / "nightly.log")
    assert measured.returncode == 0, (tmp_path / "nightly.log").read_text()[-3000:]
    assert measured.wall_s > 0 and measured.cpu_s > 0 and measured.peak_rss_mb > 0

    floor.run(landing, new_day, tmp_path / "floor.duckdb")
    nightly = agreement.load_pipeline(warehouse / "work.duckdb")
    assert agreement.compare(agreement.load_floor(tmp_path / "floor.duckdb"), nightly, "nightly") == []
    assert nightly["fct_partner_monthly"]["month_start_date"].max() == new_day.replace(day=1).isoformat()


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
