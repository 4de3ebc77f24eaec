"""Publish gate for `fct_partner_traffic_quality_monthly`: outcomes within their trials, shrunk rates between the
raw rate and the program, sales of the period equal to the partner mart's; ranges declared on the columns.
"""

from orchestration.lib.gx_runner import at_least, between

KEY_METRICS = {
    "partner_months": "count(*)",
    "leads_created": "sum(leads_created)",
}

RESTATEMENT_METRICS = {
    "refunded_sale_count": "sum(refunded_sale_count)",
    "created_converted_count": "sum(created_converted_count)",
}

BATCHES = {
    # A posterior mean lies between the raw rate and the prior mean, so a shrunk rate never leaves the raw rates'
    # range [0, 1] and sits no farther from the program than the raw rate does (up to rounding).
    "shrinkage": """
        select
            abs(lead_conversion_rate_shrunk - program_lead_conversion_rate)
                - abs(lead_conversion_rate - program_lead_conversion_rate) as lead_shrink_excess,
            abs(refund_rate_by_count_shrunk - program_refund_rate_by_count)
                - abs(refund_rate_by_count - program_refund_rate_by_count) as refund_shrink_excess
        from {mart}
        where lead_conversion_rate is not null and refund_rate_by_count is not null
    """,
    "sales": """
        select cast((select sum(sale_count) from {mart}) - (select sum(sale_count) from {ref[fct_partner_monthly]})
            as bigint) as sale_count_difference
    """,
}

CHECKS = [
    at_least("leads_created", "created_converted_count"),
    at_least("sale_count", "refunded_sale_count"),
    at_least("gross_sales_reporting", "refunded_sales_reporting"),
    at_least("trailing_12m_customer_count", "trailing_12m_repeat_customer_count"),
    # The prior mean (the partners' average rate) is not the pooled program rate, so a shrunk rate can overshoot
    # the pooled rate a little; a large excess means the shrinkage is broken.
    between("lead_shrink_excess", None, 0.5, batch="shrinkage"),
    between("refund_shrink_excess", None, 0.5, batch="shrinkage"),
    between("sale_count_difference", 0, 0, batch="sales"),
]
