"""Publish gate for `fct_partner_ltv`: a row for every partner, active months within tenure, staged money."""

from orchestration.lib.gx_runner import at_least, between, reconciles_to_staged_money

KEY_METRICS = {
    "partners": "count(*)",
    "lifetime_net_revenue_reporting": "sum(lifetime_net_revenue_reporting)",
}

BATCHES = {
    # Keys and relationships are dbt tests; that no partner is missing is this gate's.
    "coverage": "select (select count(*) from {ref[dim_partners]}) - (select count(*) from {mart}) as missing_partners",
}

CHECKS = [
    at_least("tenure_months", "active_month_count"),
    at_least("lifetime_gross_revenue_reporting", "lifetime_net_revenue_reporting"),
    between("missing_partners", 0, 0, batch="coverage"),
    reconciles_to_staged_money("lifetime_net_revenue_reporting"),
]
