"""Publish gate for `fct_program_kpis_monthly`: program revenue reconciled to staged money.

Platinum's revenue share is a published KPI (`platinum_revenue_share`), not a data-quality rule (docs/quality.md).
"""

from orchestration.lib.gx_runner import reconciles_to_staged_money

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
]
