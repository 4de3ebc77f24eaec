"""Publish gate for `fct_nps_monthly`: categories add up to the responding partners, one program row per period."""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "rows": "count(*)",
    "program_responses": "sum(responses_count) filter (where dimension_name = 'program')",
}

BATCHES = {
    "categories": """
        select promoters_count + passives_count + detractors_count - responding_partners_count as unclassified
        from {mart}
    """,
    "program_periods": """
        select month_start_date, count(*) filter (where dimension_name = 'program') as program_rows
        from {mart} group by month_start_date
    """,
}

# NPS in [-100, 100], shares and counts: declared as column ranges in _health__models.yml.
CHECKS = [
    at_least("responses_count", "responding_partners_count"),
    at_least("responding_partners_count", "responding_active_partners_count"),
    at_least("partners_active_count", "responding_active_partners_count"),
    at_least("responding_partners_count", "share_of_wallet_answers_count"),
    between("unclassified", 0, 0, batch="categories"),
    between("program_rows", 1, 1, batch="program_periods"),
]
