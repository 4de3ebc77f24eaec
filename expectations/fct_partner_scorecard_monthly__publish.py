"""Publish gate for `fct_partner_scorecard_monthly`: one row per partner-period of the status mart, and each
partner's LTV to date in its last period equal to the sum of its periods' net revenue; ranges on the columns.
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "partner_months": "count(*)",
    "sla_breaches": "sum(payout_sla_breach_count)",
}

BATCHES = {
    "spine": """
        select
            (select count(*) from {mart}) - (select count(*) from {ref[fct_partner_monthly_status]})
                as rows_not_in_status
    """,
    "ltv": """
        with last_rows as (
            select partner_id, ltv_to_date_reporting
            from {mart}
            qualify row_number() over (partition by partner_id order by month_start_date desc) = 1
        ),
        totals as (
            select partner_id, sum(net_revenue_reporting) as net_revenue_reporting
            from {ref[fct_partner_monthly_status]}
            group by partner_id
        )
        select count(*) as ltv_mismatches
        from last_rows
        inner join totals on last_rows.partner_id = totals.partner_id
        where last_rows.ltv_to_date_reporting <> totals.net_revenue_reporting
    """,
}

CHECKS = [
    between("rows_not_in_status", 0, 0, batch="spine"),
    between("ltv_mismatches", 0, 0, batch="ltv"),
]
