"""Publish gate for `fct_two_tier_monthly`: active and retained sub-partners within their bases, the override is the
declared rate on the sub-partners' net revenue (0 only for a terminated parent), and every sub-partner's net revenue
is counted once (docs/metrics.md "Two-tier programs").
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
    "override": """
        select count(*) filter (
            where abs(second_tier_commission_reporting - sub_partner_net_revenue_reporting * override_rate) > 0.0001
                and not (is_parent_terminated and second_tier_commission_reporting = 0)
        ) as commissions_off_the_override_rate
        from {mart}
    """,
    # Each sub-partner has one parent, so the parents' rows hold every linked partner's revenue of the program periods.
    "totals": """
        select cast(round(
            coalesce((select sum(sub_partner_net_revenue_reporting) from {mart}), 0)
            - coalesce((
                select sum(partner_months.net_revenue_reporting)
                from {ref[int_partner_months_aggregated]} as partner_months
                inner join {ref[int_program_months_spined]} as program_months
                    on partner_months.month_start_date = program_months.month_start_date
                inner join {ref[int_partner_hierarchy]} as hierarchy
                    on partner_months.partner_id = hierarchy.partner_id
                where hierarchy.parent_partner_id is not null
            ), 0), 2) as double) as sub_partner_revenue_difference
    """,
}

CHECKS = [
    at_least("sub_partners_count", "active_sub_partners_count"),
    at_least("previous_active_sub_partners_count", "retained_sub_partners_count"),
    between("commissions_off_the_override_rate", 0, 0, batch="override"),
    between("sub_partner_revenue_difference", 0, 0, batch="totals"),
]
