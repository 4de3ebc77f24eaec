"""Publish gate for `fct_program_predictions`: only converged fits, every partner the fit saw is scored in
`fct_partner_predictions`, and expected active partners never exceed the scored partners. Pareto/NBD: its parameters
and sums are there exactly when it converged, and its expected alive partners never exceed the scored partners. Sane
parameter ranges (r, alpha, a, b, p, v > 0; q > 1 so the expected value is finite) are ranges on the model's
columns. One row per period of fit: no volume band (VOLUME_CHECKED), like the partner mart.
"""

from orchestration.lib.gx_runner import at_least, between

VOLUME_CHECKED = False

KEY_METRICS = {
    "periods": "count(*)",
}

BATCHES = {
    "fits": """
        select
            count(*) filter (where not is_converged) as unconverged_fits,
            coalesce(max(abs(partners_count - scored_partners_count)), 0) as unscored_partners
        from {mart}
    """,
    "pareto_nbd": """
        select
            count(*) filter (
                where (coalesce(is_pareto_nbd_converged, false) and (
                    pareto_nbd_r is null or pareto_nbd_alpha is null or pareto_nbd_s is null or pareto_nbd_beta is null
                    or pareto_nbd_log_likelihood is null or pareto_nbd_expected_alive_partners is null
                ))
                or (not coalesce(is_pareto_nbd_converged, false) and (
                    pareto_nbd_r is not null or pareto_nbd_expected_alive_partners is not null
                ))
            ) as pareto_nbd_fits_with_wrong_nulls,
            count(*) filter (
                where pareto_nbd_expected_alive_partners > scored_partners_count
            ) as pareto_nbd_alive_above_scored
        from {mart}
    """,
}

CHECKS = [
    between("unconverged_fits", 0, 0, batch="fits"),
    between("unscored_partners", 0, 0, batch="fits"),
    at_least("scored_partners_count", "expected_alive_partners"),
    at_least("scored_partners_count", "expected_active_partners_next_quarter"),
    between("pareto_nbd_fits_with_wrong_nulls", 0, 0, batch="pareto_nbd"),
    between("pareto_nbd_alive_above_scored", 0, 0, batch="pareto_nbd"),
]
