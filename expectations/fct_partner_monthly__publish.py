"""Publish gate for `fct_partner_monthly`: schema, ranges, reconciliation to staged revenue, volume vs last version."""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import WARNING, Check, SuiteContext, exact_schema

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
    "reporting_currency": "VARCHAR",
    "refund_policy": "VARCHAR",
    "as_of_date": "DATE",
}

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

# Program-level monthly numbers whose change versus the previous version is reported as a restatement.
RESTATEMENT_METRICS = {
    "net_revenue_reporting": "sum(net_revenue_reporting)",
    "gross_revenue_reporting": "sum(gross_revenue_reporting)",
    "refunds_reporting": "sum(refunds_reporting)",
    "active_partners": "count(*) filter (where is_active)",
}

BATCHES = {
    # Every cent of staged net revenue is in the mart, once (catches duplicated or dropped revenue).
    "reconciliation": """
        select
            mart.net_revenue_reporting as mart_net_revenue_reporting,
            staged.net_revenue_reporting as staged_net_revenue_reporting,
            cast(round(coalesce(mart.net_revenue_reporting, 0) - coalesce(staged.net_revenue_reporting, 0), 2)
                 as double) as difference_reporting
        from (select sum(net_revenue_reporting) as net_revenue_reporting from {mart}) as mart
        cross join (
            select sum(net_amount_reporting) as net_revenue_reporting
            from intermediate.int_transactions_converted
        ) as staged
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before partner-month revenue reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="difference_reporting", min_value=-0.005, max_value=0.005),
            batch="reconciliation",
        ),
        Check(gxe.ExpectColumnValuesToBeBetween(column="gross_revenue_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="refunds_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="sale_count", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="refund_count", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="leads_created", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeInSet(column="refund_policy", value_set=["refund_period", "sale_period"])),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="reporting_currency", min_value=1, max_value=1)),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        # Commission above revenue in a month is possible after refunds, but rare enough to look at.
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="gross_revenue_reporting",
                column_B="commission_reporting",
                or_equal=True,
                mostly=0.99,
            ),
            level=WARNING,
        ),
        *ctx.volume_checks(KEY_METRICS),
    ]
