"""End to end: the small preset through Dagster, checked against numbers computed here from the landing files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import PipelineDirs, query
from tests.landing_oracle import clean_transactions

pytestmark = pytest.mark.e2e


def expected_partner_months(landing: Path, as_of: date) -> pd.DataFrame:
    """Net revenue, sale count and activity per partner-month, from the documented rules (refund_period)."""
    tx = clean_transactions(landing, as_of)
    tx["is_sale"] = tx["kind"].eq("sale").astype(int)
    out = tx.groupby(["partner_id", "month"]).agg(net=("net", "sum"), sales=("is_sale", "sum")).reset_index()
    out["is_active"] = (out["sales"] > 0) & (out["net"] > 0)
    return out


def test_raw_rows_match_the_generated_files(small_pipeline: PipelineDirs):
    manifest = small_pipeline.manifest()
    for entity, rows in manifest["rows"].items():
        assert query(small_pipeline.work_db, f"select count(*) from raw.{entity}")[0][0] == rows, entity


def test_quarantine_has_exactly_the_injected_bad_rows(small_pipeline: PipelineDirs):
    manifest = small_pipeline.manifest()
    expected = {
        (entity, kind): n
        for entity, kinds in manifest["bad_rows"].items()
        for kind, n in kinds.items()
        if n
    }
    got = {
        (e, r): n
        for e, r, n in query(
            small_pipeline.work_db,
            "select entity, rejection_reason, count(*) from staging.stg_program__quarantine group by 1, 2",
        )
    }
    assert got == expected
    assert sum(expected.values()) > 100  # the small preset really exercises quarantine


def test_every_row_is_staged_or_quarantined(small_pipeline: PipelineDirs):
    raw = query(small_pipeline.work_db, "select count(*) from raw.transactions")[0][0]
    staged = query(small_pipeline.work_db, "select count(*) from staging.stg_program__transactions")[0][0]
    quarantined = query(
        small_pipeline.work_db,
        "select count(*) from staging.stg_program__quarantine where entity = 'transactions'",
    )[0][0]
    assert raw == staged + quarantined
    assert staged == small_pipeline.manifest()["good_rows"]["transactions"]


def test_partner_monthly_matches_an_independent_computation(small_pipeline: PipelineDirs):
    manifest = small_pipeline.manifest()
    as_of = date.fromisoformat(manifest["end"])
    expected = expected_partner_months(small_pipeline.landing, as_of)
    mart = pd.DataFrame(
        query(
            small_pipeline.work_db,
            "select partner_id, month_start_date, net_revenue_reporting, sale_count, is_active, as_of_date "
            "from marts.fct_partner_monthly",
        ),
        columns=["partner_id", "month", "net", "sales", "is_active", "as_of_date"],
    )
    assert set(mart["as_of_date"]) == {as_of}
    merged = mart.merge(expected, on=["partner_id", "month"], how="left", suffixes=("", "_expected"))
    # Months without transactions are zero rows of the spine, not missing.
    merged = merged.fillna({"net_expected": 0.0, "sales_expected": 0, "is_active_expected": False})
    assert len(expected) == len(mart.merge(expected, on=["partner_id", "month"]))
    cents = (merged["net"].astype(float) * 100).round().astype(int)
    cents_expected = (merged["net_expected"] * 100).round().astype(int)
    assert (cents == cents_expected).all(), merged[cents != cents_expected].head()
    assert (merged["sales"] == merged["sales_expected"]).all()
    assert (merged["is_active"] == merged["is_active_expected"]).all()
    assert round(float(mart["net"].astype(float).sum()), 2) == round(float(expected["net"].sum()), 2)


def test_partner_month_spine_is_complete(small_pipeline: PipelineDirs):
    rows = query(
        small_pipeline.work_db,
        """
        select partner_id, count(*), min(month_start_date), max(month_start_date)
        from marts.fct_partner_monthly group by 1
        """,
    )
    as_of_month = date.fromisoformat(small_pipeline.manifest()["end"]).replace(day=1)
    for partner_id, n, first, last in rows:
        assert last == as_of_month, partner_id
        assert n == (last.year - first.year) * 12 + last.month - first.month + 1, partner_id


def test_pra_summary_prints_the_health_lines_from_the_marts(small_pipeline: PipelineDirs):
    from orchestration.cli import summary
    from orchestration.lib.settings import Settings

    text = summary(Settings.from_env(small_pipeline.env()))
    month, paid, sla = query(
        small_pipeline.work_db,
        "select month_start_date, payouts_paid_count, paid_within_sla_rate from marts.fct_payouts_monthly "
        "where dimension_name = 'program' and not is_partial_period order by month_start_date desc limit 1",
    )[0]
    assert f"KPIs for {month:%B %Y}" in text
    assert f"payouts paid {paid:,}," in text and f"{sla:.1%} within the SLA" in text
    survey, answered = query(
        small_pipeline.work_db,
        "select month_start_date, responding_partners_count from marts.fct_nps_monthly where dimension_name = "
        "'program' and not is_partial_period and responding_partners_count > 0 order by 1 desc limit 1",
    )[0]
    assert f"in {survey:%B %Y} (last survey month): {answered:,} partners answered" in text
    created = query(
        small_pipeline.work_db,
        "select leads_created from marts.fct_leads_monthly where dimension_name = 'program' "
        "and month_start_date = ?",
        [month],
    )[0][0]
    assert f"leads created {created:,} (" in text


def test_the_runs_dbt_file_log_has_each_nodes_result_and_no_debug_lines(small_pipeline: PipelineDirs):
    """A pipeline run's dbt file log is at info (orchestration/lib/dbt_args.py, FILE_LOG_LEVEL): what dbt prints,
    without the SQL statements and connection events of its default debug level. It is JSON, like dbt's output to
    Dagster."""
    lines = (small_pipeline.warehouse / "dbt_target" / "dbt.log").read_text().splitlines()
    events = [json.loads(line)["info"] for line in lines if line.strip()]
    assert {e["level"] for e in events} == {"info"}
    results = {e["msg"] for e in events if e["name"] == "LogModelResult"}
    assert any("sql table model marts.fct_partner_predictions" in m for m in results), sorted(results)[:5]
    # A new warehouse: both dbt steps of its first run kept the project's saved parse (orchestration/lib/
    # dbt_command.py); dbt logs why when it parses the whole project.
    assert len([e for e in events if e["name"] == "FoundStats"]) == 2
    assert [e["msg"] for e in events if e["name"] == "UnableToPartialParse"] == []
