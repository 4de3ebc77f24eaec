"""Publish gate for `fct_ltv_summary`: the program row counts every partner of `dim_partners`."""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "rows": "count(*)",
}

BATCHES = {
    "program": """
        select
            (select partner_count from {mart} where dimension_name = 'program')
                - (select count(*) from {ref[dim_partners]}) as program_partner_gap
    """,
}

CHECKS = [between("program_partner_gap", 0, 0, batch="program")]
