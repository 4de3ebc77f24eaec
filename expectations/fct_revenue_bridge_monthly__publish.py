"""Publish gate for `fct_revenue_bridge_monthly` (docs/operations.md, "Quality gates").

Checks movements non-negative, the bridge identity per partner-month, revenue reconciled; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "partner_month_id": "VARCHAR",
    "partner_id": "VARCHAR",
    "month_start_date": "DATE",
    "next_month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "is_partial_period": "BOOLEAN",
    "movement_class": "VARCHAR",
    "start_net_revenue_reporting": "DECIMAL(38,4)",
    "end_net_revenue_reporting": "DECIMAL(38,4)",
    "net_revenue_change_reporting": "DECIMAL(38,4)",
    "new_reporting": "DECIMAL(38,4)",
    "expansion_reporting": "DECIMAL(38,4)",
    "reactivation_reporting": "DECIMAL(38,4)",
    "contraction_reporting": "DECIMAL(38,4)",
    "churned_reporting": "DECIMAL(38,4)",
    "is_active_in_previous_period": "BOOLEAN",
    "had_revenue_before": "BOOLEAN",
    "reporting_currency": "VARCHAR",
    "refund_policy": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
}

BATCHES = {
    "identity": """
        select
            partner_month_id,
            cast(start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
                - contraction_reporting - churned_reporting - end_net_revenue_reporting as double)
                as bridge_gap_reporting
        from {mart}
    """,
    "reconciliation": """
        select cast(round((select sum(end_net_revenue_reporting) from {mart})
            - (select sum(net_amount_reporting) from intermediate.int_transactions_converted), 2) as double)
            as difference_reporting
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_revenue_bridge_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
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
