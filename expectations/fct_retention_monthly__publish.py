"""Publish gate for `fct_retention_monthly`: retained within the start base, one program row per month."""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "rows": "count(*)",
    "program_partner_months": "sum(partners_end_count) filter (where dimension_name = 'program')",
}

# Program-level monthly numbers whose change versus the previous version is a restatement.
RESTATEMENT_METRICS = {
    "program_churn_rate": "max(churn_rate) filter (where dimension_name = 'program')",
    "program_partners_end_count": "sum(partners_end_count) filter (where dimension_name = 'program')",
}

BATCHES = {
    "program_months": """
        select month_start_date, count(*) filter (where dimension_name = 'program') as program_rows
        from {mart} group by month_start_date
    """,
}

# (E - N) / S has no upper bound (docs/metrics.md): only partner_base_index >= 0 is declared on the column.
CHECKS = [
    at_least("partners_start_count", "partners_retained_count"),
    between("program_rows", 1, 1, batch="program_months"),
]
