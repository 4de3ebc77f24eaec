"""Publish gate for `fct_leads_monthly`: created leads split into converted, open and lost; the program row equals
every cut's total; counts and rates in range (declared on the columns).
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "rows": "count(*)",
    "program_leads_created": "sum(leads_created) filter (where dimension_name = 'program')",
}

RESTATEMENT_METRICS = {
    "program_leads_created": "sum(leads_created) filter (where dimension_name = 'program')",
    "program_leads_converted": "sum(leads_converted) filter (where dimension_name = 'program')",
}

BATCHES = {
    "outcomes": """
        select leads_created - created_converted_count - created_open_count - created_lost_count as unexplained_leads
        from {mart}
    """,
    # Every partner-period falls in exactly one value of each dimension, so each cut adds up to the program.
    "cuts": """
        select
            month_start_date,
            dimension_name,
            sum(leads_created) - max(program.program_leads_created) as leads_created_off_program,
            sum(leads_converted) - max(program.program_leads_converted) as leads_converted_off_program
        from {mart}
        inner join (
            select
                month_start_date as program_month_start_date,
                leads_created as program_leads_created,
                leads_converted as program_leads_converted
            from {mart}
            where dimension_name = 'program'
        ) as program on month_start_date = program.program_month_start_date
        group by month_start_date, dimension_name
    """,
}

CHECKS = [
    between("unexplained_leads", 0, 0, batch="outcomes"),
    between("leads_created_off_program", 0, 0, batch="cuts"),
    between("leads_converted_off_program", 0, 0, batch="cuts"),
]
