"""Quarter grain on real data: `dbt build --vars '{period_grain: quarter}'` on a copy of the small-preset warehouse.

The session's month-grain run is the reference: a quarter must add up its three months, and the trailing-12-month
revenue of the last quarter must equal the monthly one (the small preset ends on 2025-03-31, a quarter end).
Definitions: docs/metrics.md ("Shared conventions", "Program periods").
"""

from __future__ import annotations

import decimal
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import PipelineDirs, dbt_on_copy, query

PERIOD_MARTS = (
    "fct_partner_monthly",
    "fct_partner_monthly_status",
    "fct_partner_tiers_monthly",
    "fct_partner_segments_monthly",
    "fct_revenue_bridge_monthly",
    "fct_revenue_bridge_summary_monthly",
    "fct_retention_monthly",
    "fct_tier_summary_monthly",
    "fct_concentration_monthly",
    "fct_cohort_retention",
    "fct_program_kpis_monthly",
    "fct_nps_monthly",
    "fct_partner_nps_monthly",
    "fct_payouts_monthly",
    "fct_payouts_blocked_monthly",
    "fct_leads_monthly",
    "fct_partner_traffic_quality_monthly",
    "fct_partner_economics_monthly",
    "fct_commission_rates_monthly",
    "fct_partner_interactions_monthly",
    "fct_partner_relationship_monthly",
    "fct_relationship_retention",
    "fct_partner_scorecard_monthly",
    "fct_two_tier_monthly",
    "fct_two_tier_summary_monthly",
    "fct_partner_traffic_monthly",
    "fct_partner_target_attainment_monthly",
    "fct_partner_predictions",
    "fct_program_predictions",
)


def quarter_start(day: date) -> date:
    """First day of the day's calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@pytest.fixture(scope="module")
def quarter_db(small_pipeline: PipelineDirs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's work warehouse rebuilt by dbt at quarter grain (the month marts stay untouched)."""
    root = tmp_path_factory.mktemp("quarter_grain")
    variables = {"period_grain": "quarter", "as_of_date": small_pipeline.manifest()["end"]}
    return dbt_on_copy(small_pipeline.work_db, root, "build", variables)


def test_every_period_mart_is_at_quarter_grain(quarter_db: Path):
    for mart in PERIOD_MARTS:
        grains, starts = query(
            quarter_db,
            f"select list(distinct period_grain), list(distinct month_start_date) from marts.{mart}",
        )[0]
        assert grains == ["quarter"], mart
        assert starts and all(s.day == 1 and s.month in (1, 4, 7, 10) for s in starts), mart
    # The as-of date 2025-03-31 is the last day of Q1, so no quarter is partial.
    assert query(quarter_db, "select count(*) from marts.fct_partner_monthly where is_partial_period") == [(0,)]


def test_quarter_revenue_is_the_sum_of_its_three_months(small_pipeline: PipelineDirs, quarter_db: Path):
    monthly: dict[tuple[str, date], list] = {}
    for partner_id, month, net, sales, refunds in query(
        small_pipeline.work_db,
        "select partner_id, month_start_date, net_revenue_reporting, sale_count, refund_count "
        "from marts.fct_partner_monthly",
    ):
        total = monthly.setdefault((partner_id, quarter_start(month)), [0, 0, 0])
        total[0] += net
        total[1] += sales
        total[2] += refunds
    quarterly = {
        (partner_id, quarter): [net, sales, refunds]
        for partner_id, quarter, net, sales, refunds in query(
            quarter_db,
            "select partner_id, month_start_date, net_revenue_reporting, sale_count, refund_count "
            "from marts.fct_partner_monthly",
        )
    }
    assert quarterly == monthly
    assert sum(v[1] for v in quarterly.values()) > 100


def test_quarter_retention_balances_and_kpis_cover_the_data_quarters(small_pipeline: PipelineDirs, quarter_db: Path):
    unbalanced = query(
        quarter_db,
        "select retention_id from marts.fct_retention_monthly "
        "where partners_start_count + partners_new_count - partners_churned_count + partners_reactivated_count "
        "<> partners_end_count",
    )
    assert unbalanced == []
    kpis = query(
        quarter_db,
        "select month_start_date, partners_start_count, new_partner_count, churned_partner_count, "
        "reactivated_partner_count, partners_end_count from marts.fct_program_kpis_monthly order by 1",
    )
    assert all(s + n - c + r == e for _, s, n, c, r, e in kpis)
    assert sum(row[3] for row in kpis) > 0
    # One KPI row per quarter from the first quarter with a transaction to the as-of quarter: 2024-Q1..2025-Q1.
    first_day = query(small_pipeline.work_db, "select min(revenue_date) from intermediate.int_transactions_converted")
    as_of = date.fromisoformat(small_pipeline.manifest()["end"])
    first, last = quarter_start(first_day[0][0]), quarter_start(as_of)
    expected_count = (last.year - first.year) * 4 + (last.month - first.month) // 3 + 1
    assert [row[0] for row in kpis][0] == first
    assert len(kpis) == expected_count == 5


def test_last_quarter_trailing_revenue_is_the_last_four_quarters(small_pipeline: PipelineDirs, quarter_db: Path):
    as_of = date.fromisoformat(small_pipeline.manifest()["end"])
    sql = (
        "select partner_id, trailing_12m_net_revenue_reporting from marts.fct_partner_tiers_monthly "
        "where month_start_date = ?"
    )
    by_quarter = dict(query(quarter_db, sql, [quarter_start(as_of)]))
    by_month = dict(query(small_pipeline.work_db, sql, [as_of.replace(day=1)]))
    assert by_quarter == by_month
    four_quarters = dict(
        query(
            quarter_db,
            "select partner_id, sum(net_revenue_reporting) from marts.fct_partner_monthly "
            "where month_start_date >= ? group by partner_id",
            [date(as_of.year - 1, 4, 1)],
        )
    )
    assert all(four_quarters[p] == t for p, t in by_quarter.items())
    assert sum(1 for t in by_quarter.values() if t > 0) > 10


def test_quarter_payout_counts_are_the_sum_of_their_months(small_pipeline: PipelineDirs, quarter_db: Path):
    sql = (
        "select month_start_date, payouts_requested_count, payouts_paid_count, payouts_failed_count, "
        "payouts_blocked_count, payouts_paid_within_sla_count, paid_partner_months_count, "
        "paid_twice_partner_months_count, responses_count from marts.fct_payouts_monthly "
        "inner join marts.fct_nps_monthly using (month_start_date, dimension_name, dimension_value) "
        "where dimension_name = 'program'"
    )
    monthly: dict[date, list[int]] = {}
    for month, *counts in query(small_pipeline.work_db, sql):
        total = monthly.setdefault(quarter_start(month), [0] * len(counts))
        for i, count in enumerate(counts):
            total[i] += count
    quarterly = {quarter: list(counts) for quarter, *counts in query(quarter_db, sql)}
    assert quarterly == monthly
    assert sum(counts[1] for counts in quarterly.values()) > 50


def test_quarter_sub_partner_revenue_is_the_sum_of_its_months(small_pipeline: PipelineDirs, quarter_db: Path):
    # The override is not compared: a parent terminated mid-quarter earns on the whole quarter but not on the
    # months after its termination (docs/metrics.md "Two-tier programs").
    sql = "select month_start_date, sub_partner_net_revenue_reporting from marts.fct_two_tier_summary_monthly"
    monthly: dict[date, decimal.Decimal] = {}
    for month, revenue in query(small_pipeline.work_db, sql):
        monthly[quarter_start(month)] = monthly.get(quarter_start(month), 0) + revenue
    quarterly = dict(query(quarter_db, sql))
    assert quarterly == monthly
    assert sum(quarterly.values()) > 0
