"""Publish gate for `fct_tier_summary_monthly`: all four tiers every month, shares adding up to 100 %.

Platinum's trailing-12-month share is a published KPI, not a data-quality rule (docs/quality.md).
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "tier_months": "count(*)",
    "partner_months": "sum(partner_count)",
}

BATCHES = {
    "tier_months": """
        select
            month_start_date,
            count(distinct tier) as tier_count,
            sum(net_revenue_share) as net_revenue_share_total,
            sum(trailing_12m_revenue_share) as trailing_12m_revenue_share_total
        from {mart}
        group by month_start_date
    """,
}

CHECKS = [
    between("tier_count", 4, 4, batch="tier_months"),
    # Shares are null for months without revenue; where present they add up to 100 %.
    between("net_revenue_share_total", 0.9999, 1.0001, batch="tier_months"),
    between("trailing_12m_revenue_share_total", 0.9999, 1.0001, batch="tier_months"),
]
