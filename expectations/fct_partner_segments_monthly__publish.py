"""Publish gate for `fct_partner_segments_monthly`: revenue shares add up to at most 100 % per month.

That a partner is in at most one of strategic / perspective is a dbt test (assert_partner_is_in_at_most_one_segment).
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "partner_months": "count(*)",
}

BATCHES = {
    "share_months": """
        select month_start_date, coalesce(sum(trailing_12m_revenue_share), 0) as revenue_share_total
        from {mart} group by month_start_date
    """,
}

CHECKS = [
    # A partner's share is negative when its refunds exceed its sales over 12 months; only the total is bounded.
    between("revenue_share_total", 0, 1.0001, batch="share_months"),
]
