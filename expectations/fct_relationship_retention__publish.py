"""Publish gate for `fct_relationship_retention`: both groups every period, retained within the start base, the
groups adding up to the program's start base.
"""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "rows": "count(*)",
    "partners_start_count": "sum(partners_start_count)",
}

BATCHES = {
    "periods": """
        select
            groups.month_start_date,
            groups.group_count,
            groups.partners_start_count - retention.partners_start_count as start_count_off_program
        from (
            select month_start_date, count(*) as group_count, sum(partners_start_count) as partners_start_count
            from {mart}
            group by month_start_date
        ) as groups
        inner join (
            select month_start_date, count(*) filter (where is_in_base_at_start) as partners_start_count
            from {ref[int_partner_months_classified]}
            group by month_start_date
        ) as retention on groups.month_start_date = retention.month_start_date
    """,
}

CHECKS = [
    at_least("partners_start_count", "partners_retained_count"),
    between("group_count", 2, 2, batch="periods"),
    between("start_count_off_program", 0, 0, batch="periods"),
]
