"""Publish gate for `fct_payouts_blocked_monthly`: a reason's partners never exceed its blocked requests."""

from orchestration.lib.gx_runner import at_least

KEY_METRICS = {
    "rows": "count(*)",
    "payouts_blocked": "sum(payouts_blocked_count)",
}

CHECKS = [
    at_least("payouts_blocked_count", "partners_blocked_count"),
]
