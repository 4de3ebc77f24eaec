"""Publish gate for `fct_partner_monthly_status` (docs/operations.md, "Quality gates").

Checks every partner-month of fct_partner_monthly, once, with the same revenue; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "partner_month_id": "VARCHAR",
    "partner_id": "VARCHAR",
    "month_start_date": "DATE",
    "next_month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "region": "VARCHAR",
    "partner_type": "VARCHAR",
    "ecosystem": "VARCHAR",
    "gross_revenue_reporting": "DECIMAL(38,4)",
    "refunds_reporting": "DECIMAL(38,4)",
    "net_revenue_reporting": "DECIMAL(38,4)",
    "commission_reporting": "DECIMAL(38,4)",
    "sale_count": "HUGEINT",
    "refund_count": "HUGEINT",
    "leads_created": "BIGINT",
    "leads_converted": "BIGINT",
    "is_active": "BOOLEAN",
    "is_partial_period": "BOOLEAN",
    "partner_status": "VARCHAR",
    "is_new": "BOOLEAN",
    "is_retained": "BOOLEAN",
    "is_churned": "BOOLEAN",
    "is_reactivated": "BOOLEAN",
    "is_in_base_at_start": "BOOLEAN",
    "is_in_base_at_end": "BOOLEAN",
    "churn_event_count": "INTEGER",
    "churn_reason": "VARCHAR",
    "churn_date": "DATE",
    "last_activity_date": "DATE",
    "tier": "VARCHAR",
    "tier_rank": "BIGINT",
    "trailing_12m_net_revenue_reporting": "DECIMAL(38,4)",
    "reporting_currency": "VARCHAR",
    "refund_policy": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

BATCHES = {
    "coverage": """
        select
            (select count(*) from marts.fct_partner_monthly) - (select count(*) from {mart}) as missing_rows,
            cast(round((select sum(net_revenue_reporting) from {mart})
                - (select sum(net_revenue_reporting) from marts.fct_partner_monthly), 2) as double)
                as revenue_difference_reporting
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_partner_monthly_status` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="missing_rows", min_value=0, max_value=0), batch="coverage"),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="revenue_difference_reporting", min_value=-0.005, max_value=0.005),
            batch="coverage",
        ),
        Check(gxe.ExpectColumnValuesToBeBetween(column="churn_event_count", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="tier_rank", min_value=1)),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="reporting_currency", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
