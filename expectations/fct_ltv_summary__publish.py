"""Publish gate for `fct_ltv_summary` (docs/operations.md, "Quality gates").

Checks the program row covers every partner, averages non-negative; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "ltv_summary_id": "VARCHAR",
    "dimension_name": "VARCHAR",
    "dimension_value": "VARCHAR",
    "partner_count": "BIGINT",
    "average_lifetime_net_revenue_reporting": "DOUBLE",
    "average_lifetime_contribution_reporting": "DOUBLE",
    "average_tenure_months": "DOUBLE",
    "average_monthly_net_revenue_reporting": "DOUBLE",
    "average_monthly_contribution_reporting": "DOUBLE",
    "period_grain": "VARCHAR",
    "reporting_currency": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "rows": "count(*)",
}

BATCHES = {
    "program": """
        select
            (select partner_count from {mart} where dimension_name = 'program')
                - (select count(*) from marts.dim_partners) as program_partner_gap
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_ltv_summary` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="program_partner_gap", min_value=0, max_value=0), batch="program"
        ),
        Check(gxe.ExpectColumnValuesToBeBetween(column="partner_count", min_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="average_tenure_months", min_value=1)),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
