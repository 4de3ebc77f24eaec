"""Publish gate for `fct_concentration_monthly`: top-1 <= top-5, top-share partners within the active ones."""

from orchestration.lib.gx_runner import at_least

KEY_METRICS = {
    "months": "count(*)",
}

CHECKS = [
    at_least("top_5_revenue_share", "top_1_revenue_share"),
    at_least("revenue_active_partner_count", "top_share_partner_count"),
]
