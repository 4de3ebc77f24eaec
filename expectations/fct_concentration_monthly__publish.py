"""Publish gate for `fct_concentration_monthly` (docs/operations.md, "Quality gates").

Checks shares, Gini and HHI in [0, 1], top-1 <= top-5; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "month_start_date": "DATE",
    "next_month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "is_partial_period": "BOOLEAN",
    "revenue_active_partner_count": "BIGINT",
    "top_share_partner_count": "INTEGER",
    "positive_net_revenue_reporting": "DOUBLE",
    "top_20_pct_revenue_share": "DOUBLE",
    "top_1_revenue_share": "DOUBLE",
    "top_5_revenue_share": "DOUBLE",
    "gini_coefficient": "DOUBLE",
    "herfindahl_hirschman_index": "DOUBLE",
    "reporting_currency": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "months": "count(*)",
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_concentration_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="top_20_pct_revenue_share", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="top_1_revenue_share", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="top_5_revenue_share", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="gini_coefficient", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="herfindahl_hirschman_index", min_value=0, max_value=1)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="top_5_revenue_share", column_B="top_1_revenue_share", or_equal=True
            )
        ),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="revenue_active_partner_count", column_B="top_share_partner_count", or_equal=True
            )
        ),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
