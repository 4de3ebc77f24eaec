"""Publish gate for `fct_partner_nps_monthly`: the change is the score minus the previous score."""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "rows": "count(*)",
}

BATCHES = {
    "changes": """
        select coalesce(score - previous_score, 0) - coalesce(score_change, 0) as change_error,
            case when (previous_score is null) = (score_change is null) then 0 else 1 end as change_without_previous
        from {mart}
    """,
}

CHECKS = [
    between("change_error", 0, 0, batch="changes"),
    between("change_without_previous", 0, 0, batch="changes"),
]
