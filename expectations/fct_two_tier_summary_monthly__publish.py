"""Publish gate for `fct_two_tier_summary_monthly`: counts within their bases, and every period's totals equal the
sum of the parents' rows in `fct_two_tier_monthly` (docs/metrics.md "Two-tier programs").
"""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "rows": "count(*)",
    "sub_partner_net_revenue_reporting": "sum(sub_partner_net_revenue_reporting)",
}

RESTATEMENT_METRICS = {
    "sub_partner_net_revenue_reporting": "sum(sub_partner_net_revenue_reporting)",
    "second_tier_commission_reporting": "sum(second_tier_commission_reporting)",
}

BATCHES = {
    "parents": """
        select
            summary.month_start_date,
            summary.sub_partners_count - coalesce(parents.sub_partners_count, 0) as sub_partners_off_parents,
            cast(round(summary.sub_partner_net_revenue_reporting
                - coalesce(parents.sub_partner_net_revenue_reporting, 0), 2) as double) as revenue_off_parents
        from {mart} as summary
        left join (
            select month_start_date, sum(sub_partners_count) as sub_partners_count,
                sum(sub_partner_net_revenue_reporting) as sub_partner_net_revenue_reporting
            from {ref[fct_two_tier_monthly]}
            group by month_start_date
        ) as parents on summary.month_start_date = parents.month_start_date
    """,
}

CHECKS = [
    at_least("parents_count", "parents_with_active_sub_partners_count"),
    at_least("sub_partners_count", "parents_count"),
    at_least("sub_partners_count", "active_sub_partners_count"),
    at_least("previous_active_sub_partners_count", "retained_sub_partners_count"),
    between("sub_partners_off_parents", 0, 0, batch="parents"),
    between("revenue_off_parents", 0, 0, batch="parents"),
]
