"""Publish gate for `fct_commission_rates_monthly`: one program row per period, the tiers adding up to it."""

from orchestration.lib.gx_runner import WARNING, between

KEY_METRICS = {
    "rows": "count(*)",
    "program_commission_reporting": "sum(commission_reporting) filter (where dimension_name = 'program')",
}

RESTATEMENT_METRICS = {
    "program_effective_commission_rate": "max(effective_commission_rate) filter (where dimension_name = 'program')",
}

BATCHES = {
    "periods": """
        select
            month_start_date,
            count(*) filter (where dimension_name = 'program') as program_rows,
            sum(commission_reporting) filter (where dimension_name = 'tier')
                - sum(commission_reporting) filter (where dimension_name = 'program') as tier_commission_off_program
        from {mart}
        group by month_start_date
    """,
}

CHECKS = [
    between("program_rows", 1, 1, batch="periods"),
    between("tier_commission_off_program", 0, 0, batch="periods"),
    between("effective_commission_rate", 0, 1, level=WARNING),
]
