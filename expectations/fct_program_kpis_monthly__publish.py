"""Publish gate for `fct_program_kpis_monthly`: program revenue reconciled to staged money; Platinum share."""

from orchestration.lib.gx_runner import WARNING, between, reconciles_to_staged_money

KEY_METRICS = {
    "months": "count(*)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

# Program-level monthly numbers whose change versus the previous version is a restatement.
RESTATEMENT_METRICS = {
    "net_revenue_reporting": "sum(net_revenue_reporting)",
    "active_partner_count": "sum(active_partner_count)",
    "churned_partner_count": "sum(churned_partner_count)",
    "churn_rate": "max(churn_rate)",
    "net_revenue_retention": "max(net_revenue_retention)",
}

CHECKS = [
    reconciles_to_staged_money("net_revenue_reporting"),
    # The source documents expect Platinum near 25-40 % of revenue: worth a look, never a blocker.
    between("platinum_revenue_share", 0.25, 0.4, level=WARNING),
]
