"""Publish gate for `fct_partner_tiers_monthly`: ranks within the ranked population (docs/quality.md)."""

from orchestration.lib.gx_runner import at_least

KEY_METRICS = {
    "partners": "count(distinct partner_id)",
    "partner_months": "count(*)",
}

# Trailing revenue may be negative (refunds of earlier sales); such partners are Bronze (a dbt test).
CHECKS = [at_least("ranked_partner_count", "tier_rank")]
