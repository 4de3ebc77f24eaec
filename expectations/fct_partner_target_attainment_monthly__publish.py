"""Publish gate for `fct_partner_target_attainment_monthly`: attainment is actual / target, points exist exactly
where attainment does, and a partner's total is the sum of its metrics' points. An empty mart (no partner_targets
landed) passes: every batch below then has one row of zeros.
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "targets": "count(*)",
    "rated_targets": "count(attainment)",
}

BATCHES = {
    "consistency": """
        select
            count(*) filter (where attainment is not null
                and abs(attainment * cast(target_value as double) - cast(actual_value as double)) > 0.01)
                as attainment_errors,
            count(*) filter (where (attainment is null) <> (attainment_points is null)) as points_null_mismatch
        from {mart}
    """,
    "partner_totals": """
        select count(*) as total_errors
        from (
            select partner_id, month_start_date, sum(attainment_points) as summed, max(partner_points) as total,
                min(partner_points) as total_min
            from {mart}
            group by partner_id, month_start_date
        ) as totals
        where summed is distinct from total or total is distinct from total_min
    """,
}

CHECKS = [
    between("attainment_errors", 0, 0, batch="consistency"),
    between("points_null_mismatch", 0, 0, batch="consistency"),
    between("total_errors", 0, 0, batch="partner_totals"),
]
