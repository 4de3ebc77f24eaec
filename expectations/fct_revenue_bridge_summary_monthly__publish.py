"""Publish gate for `fct_revenue_bridge_summary_monthly` (docs/operations.md, "Quality gates").

Checks NRR/GRR ranges, the bridge identity, monthly revenue reconciled to fct_partner_monthly; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "month_start_date": "DATE",
    "next_month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "is_partial_period": "BOOLEAN",
    "start_net_revenue_reporting": "DECIMAL(38,4)",
    "new_reporting": "DECIMAL(38,4)",
    "expansion_reporting": "DECIMAL(38,4)",
    "reactivation_reporting": "DECIMAL(38,4)",
    "contraction_reporting": "DECIMAL(38,4)",
    "churned_reporting": "DECIMAL(38,4)",
    "end_net_revenue_reporting": "DECIMAL(38,4)",
    "new_partner_count": "HUGEINT",
    "expansion_partner_count": "HUGEINT",
    "reactivation_partner_count": "HUGEINT",
    "contraction_partner_count": "HUGEINT",
    "churned_partner_count": "HUGEINT",
    "previous_active_start_reporting": "DECIMAL(38,4)",
    "previous_active_end_reporting": "DECIMAL(38,4)",
    "net_revenue_retention": "DOUBLE",
    "gross_revenue_retention": "DOUBLE",
    "existing_partner_revenue_reporting": "DECIMAL(38,4)",
    "existing_partner_revenue_growth": "DOUBLE",
    "reporting_currency": "VARCHAR",
    "refund_policy": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "months": "count(*)",
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
}

# Program-level monthly numbers whose change versus the previous version is a restatement.
RESTATEMENT_METRICS = {
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
    "churned_reporting": "sum(churned_reporting)",
    "contraction_reporting": "sum(contraction_reporting)",
}

BATCHES = {
    "identity": """
        select
            month_start_date,
            cast(start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
                - contraction_reporting - churned_reporting - end_net_revenue_reporting as double)
                as bridge_gap_reporting
        from {mart}
    """,
    "reconciliation": """
        select
            bridge.month_start_date,
            cast(coalesce(bridge.end_net_revenue_reporting, 0) - coalesce(program.net_revenue_reporting, 0) as double)
                as difference_reporting
        from {mart} as bridge
        full outer join (select month_start_date, sum(net_revenue_reporting) as net_revenue_reporting
            from marts.fct_partner_monthly group by month_start_date) as program
            on bridge.month_start_date = program.month_start_date
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_revenue_bridge_summary_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="gross_revenue_retention", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="net_revenue_retention", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="new_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="expansion_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="reactivation_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="contraction_reporting", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="churned_reporting", min_value=0)),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="bridge_gap_reporting", min_value=-0.005, max_value=0.005),
            batch="identity",
        ),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="difference_reporting", min_value=-0.005, max_value=0.005),
            batch="reconciliation",
        ),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
