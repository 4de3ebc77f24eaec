"""Publish gate for `fct_partner_segments_monthly` (docs/operations.md, "Quality gates").

Checks revenue shares in [0, 1] adding up to at most 100 % per month, segment flags consistent; schema; volume.
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
    "tier": "VARCHAR",
    "trailing_12m_net_revenue_reporting": "DECIMAL(38,4)",
    "program_trailing_12m_net_revenue_reporting": "DECIMAL(38,4)",
    "trailing_12m_revenue_share": "DOUBLE",
    "trailing_3m_net_revenue_reporting": "DECIMAL(38,4)",
    "previous_3m_net_revenue_reporting": "DECIMAL(38,4)",
    "growth_3m_net_revenue_reporting": "DECIMAL(38,4)",
    "is_recent_signup": "BOOLEAN",
    "growth_rank": "BIGINT",
    "is_strategic": "BOOLEAN",
    "is_perspective": "BOOLEAN",
    "segment": "VARCHAR",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "partner_months": "count(*)",
}

BATCHES = {
    "share_months": """
        select month_start_date, coalesce(sum(trailing_12m_revenue_share), 0) as revenue_share_total
        from {mart} group by month_start_date
    """,
    "flags": """
        select partner_month_id, cast(is_strategic as integer) + cast(is_perspective as integer) as segment_flags
        from {mart}
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_partner_segments_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        # A partner's share is negative when its refunds exceed its sales over 12 months; only the total is bounded.
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="revenue_share_total", min_value=0, max_value=1.0001),
            batch="share_months",
        ),
        Check(gxe.ExpectColumnValuesToBeBetween(column="segment_flags", min_value=0, max_value=1), batch="flags"),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
