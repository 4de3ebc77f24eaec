"""Publish gate for `fct_payouts_monthly`: within-SLA within paid, median within p90, one program row per period."""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "rows": "count(*)",
    "program_payouts_requested": "sum(payouts_requested_count) filter (where dimension_name = 'program')",
    "program_payouts_paid": "sum(payouts_paid_count) filter (where dimension_name = 'program')",
}

BATCHES = {
    "program_periods": """
        select month_start_date, count(*) filter (where dimension_name = 'program') as program_rows
        from {mart} group by month_start_date
    """,
}

# Shares in [0, 1], counts and hours >= 0: declared as column ranges in _health__models.yml.
CHECKS = [
    at_least("payouts_paid_count", "payouts_paid_within_sla_count"),
    at_least("payouts_paid_count", "paid_partners_count"),
    at_least("paid_partner_months_count", "paid_partners_count"),
    at_least("paid_partner_months_count", "paid_twice_partner_months_count"),
    at_least("payouts_requested_count", "payouts_failed_count"),
    at_least("payouts_requested_count", "payouts_blocked_count"),
    at_least("hours_to_payment_p90", "hours_to_payment_median"),
    between("program_rows", 1, 1, batch="program_periods"),
]
