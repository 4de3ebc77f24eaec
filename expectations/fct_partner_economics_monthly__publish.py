"""Publish gate for `fct_partner_economics_monthly`: the partner mart's money, rates null where their base is not
positive, commission rates mostly in a plausible band. Growth has no lower bound: net revenue after refunds can be
negative, so a decline can exceed -100 %.
"""

from orchestration.lib.gx_runner import WARNING, between, reconciles_to_staged_money

KEY_METRICS = {
    "partner_months": "count(*)",
    "net_revenue_reporting": "sum(net_revenue_reporting)",
}

RESTATEMENT_METRICS = {
    "commission_reporting": "sum(commission_reporting)",
}

BATCHES = {
    "null_bases": """
        select
            count(*) filter (where net_revenue_reporting <= 0 and effective_commission_rate is not null)
                + count(*) filter (where previous_3m_net_revenue_reporting <= 0 and trailing_3m_growth is not null)
                + count(*) filter (where coalesce(previous_year_3m_net_revenue_reporting, 0) <= 0
                    and trailing_3m_yoy_growth is not null) as rates_on_non_positive_base
        from {mart}
    """,
}

CHECKS = [
    reconciles_to_staged_money("net_revenue_reporting"),
    between("rates_on_non_positive_base", 0, 0, batch="null_bases"),
    # Commission above net revenue happens after refunds, but rarely: worth a look, never a blocker.
    between("effective_commission_rate", 0, 1, mostly=0.95, level=WARNING),
]
