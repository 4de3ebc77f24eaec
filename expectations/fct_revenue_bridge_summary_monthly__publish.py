"""Publish gate for `fct_revenue_bridge_summary_monthly`: end revenue = `fct_partner_monthly` revenue, per month.

The bridge identity is the dbt test `assert_revenue_bridge_balances`; ranges are declared on the columns.
"""

from orchestration.lib.gx_runner import CENT, between

KEY_METRICS = {
    "months": "count(*)",
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
}

# Program-level monthly numbers whose change versus the previous version is a restatement.
RESTATEMENT_METRICS = {
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
    "churned_reporting": "sum(churned_reporting)",
    "contraction_reporting": "sum(contraction_reporting)",
}

BATCHES = {
    "program_months": """
        select
            bridge.month_start_date,
            cast(coalesce(bridge.end_net_revenue_reporting, 0) - coalesce(program.net_revenue_reporting, 0) as double)
                as difference_reporting
        from {mart} as bridge
        full outer join (select month_start_date, sum(net_revenue_reporting) as net_revenue_reporting
            from {ref[fct_partner_monthly]} group by month_start_date) as program
            on bridge.month_start_date = program.month_start_date
    """,
}

CHECKS = [between("difference_reporting", -CENT, CENT, batch="program_months")]
