"""Publish gate for `fct_partner_traffic_monthly`: traffic is null exactly where no traffic row landed, rates only on
clicks, unique visitors within clicks, and every staged click is in the mart (a warning: clicks of a partner or
period outside the partner-period spine are not published).
"""

from orchestration.lib.gx_runner import WARNING, at_least, between

KEY_METRICS = {
    "partner_months": "count(*)",
    "clicks": "coalesce(sum(clicks), 0)",
}

BATCHES = {
    "nulls": """
        select
            count(*) filter (where (clicks is null) <> (traffic_days = 0)) as clicks_null_mismatch,
            count(*) filter (where coalesce(clicks, 0) = 0
                and (click_to_lead_rate is not null or earnings_per_click_reporting is not null))
                as rates_without_clicks
        from {mart}
    """,
    "staged_clicks": """
        select (select coalesce(sum(clicks), 0) from {mart})
            - (select coalesce(sum(clicks), 0) from {ref[stg_program__traffic_daily]}) as unpublished_clicks
    """,
}

CHECKS = [
    between("clicks_null_mismatch", 0, 0, batch="nulls"),
    between("rates_without_clicks", 0, 0, batch="nulls"),
    at_least("clicks", "unique_visitors"),
    between("unpublished_clicks", 0, 0, batch="staged_clicks", level=WARNING),
    # Leads also come from other channels than clicks, so a rate above 1 is possible, but rare: worth a look.
    between("click_to_lead_rate", 0, 1, mostly=0.95, level=WARNING),
]
