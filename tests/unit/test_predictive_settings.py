"""Predictive fit settings and cadence (docs/operations.md "Predictive fit"): pure functions, no model fitted."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.lib.predictive import fit_is_due, monthly_discount_rate
from orchestration.lib.settings import Settings


def test_refit_is_due_weekly_counted_from_the_last_converged_fit():
    assert fit_is_due(None, date(2025, 3, 31), 7)  # no fit yet
    assert not fit_is_due(date(2025, 3, 31), date(2025, 3, 31), 7)  # same data: keep
    assert not fit_is_due(date(2025, 3, 24), date(2025, 3, 30), 7)  # 6 days later: keep
    assert fit_is_due(date(2025, 3, 24), date(2025, 3, 31), 7)  # 7 days later: refit
    assert fit_is_due(date(2025, 3, 31), date(2025, 3, 31), 0)  # 0: every run


def test_monthly_discount_rate_compounds_to_the_annual_rate():
    assert (1 + monthly_discount_rate(0.10)) ** 12 == pytest.approx(1.10)
    assert monthly_discount_rate(0.0) == 0.0


def test_predict_settings_defaults_and_overrides(tmp_path: Path):
    default = Settings.from_values({"home": str(tmp_path)})
    assert (default.predict_every_days, default.predict_method) == (7, "map")
    assert (default.predict_ltv_months, default.predict_discount_rate) == (24, 0.10)
    custom = Settings.from_values(
        {
            "home": str(tmp_path),
            "predict_every_days": "0",
            "predict_method": "MCMC",
            "predict_ltv_months": "36",
            "predict_discount_rate": "0.08",
        }
    )
    assert (custom.predict_every_days, custom.predict_method) == (0, "mcmc")
    assert (custom.predict_ltv_months, custom.predict_discount_rate) == (36, 0.08)
    with pytest.raises(ValueError, match="PRA_PREDICT_METHOD='advi'"):
        Settings.from_values({"home": str(tmp_path), "predict_method": "advi"})


def test_pareto_nbd_is_off_unless_switched_on(tmp_path: Path):
    assert Settings.from_values({"home": str(tmp_path)}).predict_pareto_nbd is False
    for value, expected in (("true", True), ("ON", True), ("1", True), ("false", False), ("off", False), ("", False)):
        assert Settings.from_values({"home": str(tmp_path), "predict_pareto_nbd": value}).predict_pareto_nbd is expected
    with pytest.raises(ValueError, match="PRA_PREDICT_PARETO_NBD='maybe'"):
        Settings.from_values({"home": str(tmp_path), "predict_pareto_nbd": "maybe"})


def test_a_score_that_is_not_a_number_fails_the_fit():
    import numpy as np
    import pandas as pd

    from orchestration.lib.predictive import scores_are_finite

    good = pd.DataFrame(
        {"partner_id": ["P1", "P2"], "p_alive": [0.9, 0.4], "expected_sales_90d": [1.5, 0.2], "p_alive_low": None}
    )
    assert scores_are_finite(good)  # MAP: the interval is null, the estimates are numbers
    assert not scores_are_finite(good.assign(expected_sales_90d=[1.5, np.nan]))  # seen on a 9-day history
    assert not scores_are_finite(good.assign(p_alive=[np.inf, 0.4]))
    assert not scores_are_finite(good.assign(p_alive_low=[np.inf, None]))
