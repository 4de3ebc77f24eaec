"""Publish gate for `fct_partner_predictions`: every scored partner has every point score (no nulls), intervals (MCMC
only) hold their point estimate, and expected sales grow with the horizon. Pareto/NBD's scores are all there or all
null, for a partner and for a whole fit (it converged or not), and grow with the horizon too. P(alive) and
p_sale_90d in [0, 1] and the non-negative values are ranges on the model's columns. New periods of fit add whole
periods of rows (the first months double the volume), so the mart has no volume band (VOLUME_CHECKED).
"""

from orchestration.lib.gx_runner import at_least, between

VOLUME_CHECKED = False

KEY_METRICS = {
    "rows": "count(*)",
    "expected_alive_partners": "sum(p_alive)",
}

BATCHES = {
    "nulls": """
        select count(*) as rows_with_a_null_score
        from {mart}
        where p_alive is null or p_sale_90d is null or expected_sales_90d is null or expected_sales_12m is null
            or expected_avg_net_value_reporting is null or expected_net_revenue_12m_reporting is null
            or predictive_ltv_reporting is null
    """,
    "intervals": """
        select count(*) as estimates_outside_their_interval
        from {mart}
        where p_alive_low > p_alive or p_alive_high < p_alive
            or predictive_ltv_low_reporting > predictive_ltv_reporting
            or predictive_ltv_high_reporting < predictive_ltv_reporting
    """,
    "pareto_nbd": """
        select
            (
                select count(*)
                from {mart}
                where (pareto_nbd_p_alive is null) <> (pareto_nbd_expected_sales_90d is null)
                    or (pareto_nbd_p_alive is null) <> (pareto_nbd_expected_sales_12m is null)
            ) as rows_with_part_of_the_pareto_nbd_scores,
            (
                select count(*)
                from (
                    select fit_date
                    from {mart}
                    group by fit_date
                    having count(pareto_nbd_p_alive) not in (0, count(*))
                ) as fits
            ) as fits_with_pareto_nbd_scores_for_some_partners
    """,
}

CHECKS = [
    between("rows_with_a_null_score", 0, 0, batch="nulls"),
    between("estimates_outside_their_interval", 0, 0, batch="intervals"),
    at_least("expected_sales_12m", "expected_sales_90d"),
    between("rows_with_part_of_the_pareto_nbd_scores", 0, 0, batch="pareto_nbd"),
    between("fits_with_pareto_nbd_scores_for_some_partners", 0, 0, batch="pareto_nbd"),
    at_least("pareto_nbd_expected_sales_12m", "pareto_nbd_expected_sales_90d"),
]
