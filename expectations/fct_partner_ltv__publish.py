"""Publish gate for `fct_partner_ltv` (docs/operations.md, "Quality gates").

Checks one row per partner of dim_partners, tenure and active months consistent, lifetime revenue
reconciled to staged net revenue; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "partner_id": "VARCHAR",
    "cohort_month_start_date": "DATE",
    "signup_date": "DATE",
    "partner_type": "VARCHAR",
    "region": "VARCHAR",
    "status": "VARCHAR",
    "current_tier": "VARCHAR",
    "is_in_base": "BOOLEAN",
    "last_activity_date": "DATE",
    "tenure_end_month_start_date": "DATE",
    "tenure_months": "BIGINT",
    "active_month_count": "HUGEINT",
    "lifetime_gross_revenue_reporting": "DECIMAL(38,4)",
    "lifetime_net_revenue_reporting": "DECIMAL(38,4)",
    "lifetime_commission_reporting": "DECIMAL(38,4)",
    "lifetime_contribution_reporting": "DECIMAL(38,10)",
    "average_monthly_net_revenue_reporting": "DOUBLE",
    "average_monthly_contribution_reporting": "DOUBLE",
    "ltv_method": "VARCHAR",
    "period_grain": "VARCHAR",
    "reporting_currency": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(*)",
    "lifetime_net_revenue_reporting": "sum(lifetime_net_revenue_reporting)",
}

BATCHES = {
    "reconciliation": """
        select
            (select count(*) from marts.dim_partners) - (select count(*) from {mart}) as missing_partners,
            cast(round((select sum(lifetime_net_revenue_reporting) from {mart})
                - (select sum(net_amount_reporting) from intermediate.int_transactions_converted), 2) as double)
                as difference_reporting
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_partner_ltv` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="tenure_months", min_value=1)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="tenure_months", column_B="active_month_count", or_equal=True
            )
        ),
        Check(gxe.ExpectColumnValuesToBeBetween(column="lifetime_gross_revenue_reporting", min_value=0)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="lifetime_gross_revenue_reporting", column_B="lifetime_net_revenue_reporting", or_equal=True
            )
        ),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="missing_partners", min_value=0, max_value=0),
            batch="reconciliation",
        ),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="difference_reporting", min_value=-0.005, max_value=0.005),
            batch="reconciliation",
        ),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
