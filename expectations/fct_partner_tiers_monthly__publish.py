"""Publish gate for `fct_partner_tiers_monthly` (docs/operations.md, "Quality gates").

Checks tier levels and ranks in range, ranks within the ranked population; schema; volume.
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
    "net_revenue_reporting": "DECIMAL(38,4)",
    "trailing_12m_net_revenue_reporting": "DECIMAL(38,4)",
    "signup_date": "DATE",
    "tier_rank": "BIGINT",
    "ranked_partner_count": "BIGINT",
    "raw_tier_level": "INTEGER",
    "tier_level": "INTEGER",
    "tier": "VARCHAR",
    "previous_tier": "VARCHAR",
    "tier_movement": "VARCHAR",
    "reporting_currency": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "partner_months": "count(*)",
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_partner_tiers_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="tier_level", min_value=1, max_value=4)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="raw_tier_level", min_value=1, max_value=4)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="tier_rank", min_value=1)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ranked_partner_count", column_B="tier_rank", or_equal=True
            )
        ),
        # Trailing revenue may be negative (refunds of earlier sales); such partners are Bronze (dbt test).
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
