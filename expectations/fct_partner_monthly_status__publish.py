"""Publish gate for `fct_partner_monthly_status`: every partner-month of `fct_partner_monthly`, same revenue."""

from orchestration.lib.gx_runner import CENT, between

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

BATCHES = {
    "coverage": """
        select
            (select count(*) from {ref[fct_partner_monthly]}) - (select count(*) from {mart}) as missing_rows,
            cast(round((select sum(net_revenue_reporting) from {mart})
                - (select sum(net_revenue_reporting) from {ref[fct_partner_monthly]}), 2) as double)
                as revenue_difference_reporting
    """,
}

CHECKS = [
    between("missing_rows", 0, 0, batch="coverage"),
    between("revenue_difference_reporting", -CENT, CENT, batch="coverage"),
]
