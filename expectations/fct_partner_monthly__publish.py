"""Publish gate for `fct_partner_monthly`: every cent of staged net revenue in the mart, once; volume."""


from orchestration.lib.gx_runner import WARNING, at_least, reconciles_to_staged_money

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

# Program-level monthly numbers whose change versus the previous version is reported as a restatement.
RESTATEMENT_METRICS = {
    "net_revenue_reporting": "sum(net_revenue_reporting)",
    "gross_revenue_reporting": "sum(gross_revenue_reporting)",
    "refunds_reporting": "sum(refunds_reporting)",
    "active_partners": "count(*) filter (where is_active)",
}

CHECKS = [
    reconciles_to_staged_money("net_revenue_reporting"),
    # Commission above revenue in a month is possible after refunds, but rare enough to look at.
    at_least("gross_revenue_reporting", "commission_reporting", mostly=0.99, level=WARNING),
]
