"""Publish gate for `fct_partners_at_risk`: the score is the points of the listed reasons, every row has a reason and
reaches the listing score, ranks run 1..n per period; ranges declared on the columns.
"""

from orchestration.lib.gx_runner import between

KEY_METRICS = {
    "listed_partner_periods": "count(*)",
}

BATCHES = {
    "consistency": """
        select
            count(*) filter (where reason_count <> length(reason_codes) - length(replace(reason_codes, ',', '')) + 1)
                as reason_count_mismatch,
            count(*) filter (
                where reason_count <> cast(has_revenue_decline as integer) + cast(has_sale_gap as integer)
                    + cast(has_nps_negative as integer) + cast(has_payout_sla_breaches as integer)
                    + cast(has_no_interaction_90d as integer) + cast(has_refund_rate_jump as integer)
                    + cast(has_p_alive_low as integer)
            ) as flag_count_mismatch
        from {mart}
    """,
    "ranks": """
        select month_start_date, count(*) - max(risk_rank) as rank_gap, count(distinct risk_rank) - count(*) as rank_dup
        from {mart}
        group by month_start_date
    """,
}

CHECKS = [
    between("reason_count_mismatch", 0, 0, batch="consistency"),
    between("flag_count_mismatch", 0, 0, batch="consistency"),
    between("rank_gap", 0, 0, batch="ranks"),
    between("rank_dup", 0, 0, batch="ranks"),
]
