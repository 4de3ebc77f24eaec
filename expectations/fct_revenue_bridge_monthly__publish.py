"""Publish gate for `fct_revenue_bridge_monthly`: the bridge's end revenue reconciled to staged money.

Movements >= 0 and the bridge identity are the dbt test `assert_revenue_bridge_balances` (docs/quality.md).
"""

from orchestration.lib.gx_runner import reconciles_to_staged_money

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "end_net_revenue_reporting": "sum(end_net_revenue_reporting)",
}

CHECKS = [reconciles_to_staged_money("end_net_revenue_reporting")]
