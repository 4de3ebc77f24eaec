"""Publish gate for `fct_cohort_retention` (docs/operations.md, "Quality gates").

Checks shares in [0, 1], active and retained partners within the cohort; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "cohort_period_id": "VARCHAR",
    "cohort_month_start_date": "DATE",
    "periods_since_signup": "BIGINT",
    "months_since_signup": "BIGINT",
    "month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "is_partial_period": "BOOLEAN",
    "cohort_partner_count": "BIGINT",
    "partners_active_count": "HUGEINT",
    "partners_retained_count": "HUGEINT",
    "active_share": "DOUBLE",
    "retained_share": "DOUBLE",
    "net_revenue_reporting": "DECIMAL(38,4)",
    "net_revenue_per_partner_reporting": "DOUBLE",
    "cumulative_net_revenue_per_partner_reporting": "DOUBLE",
    "reporting_currency": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "rows": "count(*)",
    "cohorts": "count(distinct cohort_month_start_date)",
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_cohort_retention` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="active_share", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="retained_share", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="months_since_signup", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="cohort_partner_count", min_value=1)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="cohort_partner_count", column_B="partners_active_count", or_equal=True
            )
        ),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="cohort_partner_count", column_B="partners_retained_count", or_equal=True
            )
        ),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
