"""Publish gate for `fct_cohort_retention`: active and retained partners within the cohort (docs/quality.md)."""

from orchestration.lib.gx_runner import at_least

KEY_METRICS = {
    "rows": "count(*)",
    "cohorts": "count(distinct cohort_month_start_date)",
}

CHECKS = [
    at_least("cohort_partner_count", "partners_active_count"),
    at_least("cohort_partner_count", "partners_retained_count"),
]
