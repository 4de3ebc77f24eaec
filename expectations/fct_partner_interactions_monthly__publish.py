"""Publish gate for `fct_partner_interactions_monthly`: every contract kind on every partner-period, and every staged
interaction counted once.
"""

from orchestration.lib.contract import load_entities
from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "rows": "count(*)",
    "interactions": "sum(interaction_count)",
}

# The kinds have one home, the landing contract; the suite reads them from there.
KINDS = next(c for c in load_entities()["interactions"].contract_columns if c.name == "kind").allowed
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in KINDS)

BATCHES = {
    # Per partner-period, so a window run reads the periods it checks (`{checked}`).
    "kinds": f"""
        select partner_month_id, count(*) filter (where interaction_kind in ({_KINDS_SQL})) as contract_kind_count,
            count(*) as kind_count
        from {{checked}}
        group by partner_month_id
    """,
    # Every staged interaction is counted once (partners' periods run from signup to the as-of date).
    "totals": """
        select cast((select sum(interaction_count) from {mart})
            - (select count(*) from {ref[stg_program__interactions]}) as bigint) as interaction_difference
    """,
}

CHECKS = [
    between("contract_kind_count", len(KINDS), len(KINDS), batch="kinds"),
    between("kind_count", len(KINDS), len(KINDS), batch="kinds"),
    between("interaction_difference", 0, 0, batch="totals"),
]
