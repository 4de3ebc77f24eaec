"""Publish gate for `fct_program_predictions`: only converged fits, every partner the fit saw is scored in
`fct_partner_predictions`, and expected active partners never exceed the scored partners. Sane parameter ranges
(r, alpha, a, b, p, v > 0; q > 1 so the expected value is finite) are ranges on the model's columns. One row per
period of fit: no volume band (VOLUME_CHECKED), like the partner mart.
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
}

CHECKS = [
    between("unconverged_fits", 0, 0, batch="fits"),
    between("unscored_partners", 0, 0, batch="fits"),
    at_least("scored_partners_count", "expected_alive_partners"),
    at_least("scored_partners_count", "expected_active_partners_next_quarter"),
]
