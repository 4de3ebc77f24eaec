"""Publish gate for `fct_partner_relationship_monthly`: recency consistent with its flag, joint initiatives within
the total; ranges declared on the columns.
"""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "partner_months": "count(*)",
    "interactions": "sum(interaction_count)",
}

BATCHES = {
    "recency": """
        select
            count(*) filter (
                where has_no_interaction_90d <> coalesce(days_since_last_interaction >= 90, true)
            ) as inconsistent_flags,
            count(*) filter (where interaction_count > 0 and days_since_last_interaction is null) as missing_recency
        from {mart}
    """,
}

CHECKS = [
    at_least("interaction_count", "joint_initiative_count"),
    between("inconsistent_flags", 0, 0, batch="recency"),
    between("missing_recency", 0, 0, batch="recency"),
]
