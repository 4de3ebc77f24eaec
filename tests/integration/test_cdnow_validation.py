"""Validation of the predictive models against the published CDNOW numbers (docs/metrics.md, "Validation").

The CDNOW sample (2,357 customers of the first-quarter 1997 cohort, 6,919 transactions to June 1998) ships inside
the `lifetimes` wheel on PyPI. The test downloads the wheel once into `.cache/lifetimes/` (gitignored) and reads
`lifetimes/datasets/CDNOW_sample.txt` from the zip; the data is never committed.

Calibration period as in Fader, Hardie & Lee (2005): transactions to 1997-09-30. Per customer, transactions on the
same day are one purchase (as lifetimes' `summary_data_from_transaction_data` counts them); frequency = repeat purchase
days, recency = days from the first to the last purchase / 7, T = days from the first purchase to 1997-09-30 / 7
(weeks); monetary value = average spend of the repeat purchase days (Fader & Hardie 2013, "The Gamma-Gamma model
of monetary value": the 946 repeat buyers of the calibration period, zbar).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from orchestration.lib import predictive

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "lifetimes"
LIFETIMES = "lifetimes==0.11.3"
CALIBRATION_END = pd.Timestamp("1997-09-30")
# Fader, Hardie & Lee (2005), table 1 and p. 280, and Fader & Hardie (2013), p. 5, as printed.
PUBLISHED_BGNBD = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
PUBLISHED_LOG_LIKELIHOOD = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def cdnow_transactions() -> pd.DataFrame:
    """CDNOW_sample.txt from the lifetimes wheel (downloaded once into .cache/): customer, date, amount."""
    wheels = sorted(CACHE_DIR.glob("*.whl"))
    if not wheels:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", LIFETIMES, "--no-deps", "--only-binary=:all:", "-d", CACHE_DIR],
            check=True,
            capture_output=True,
        )
        wheels = sorted(CACHE_DIR.glob("*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        text = wheel.read("lifetimes/datasets/CDNOW_sample.txt").decode()
    # Columns: master customer id, sample customer id (1..2357), date YYYYMMDD, number of CDs, dollar value.
    names = ["master_id", "partner_id", "date", "cds", "amount"]
    frame = pd.read_csv(io.StringIO(text), sep=r"\s+", header=None, names=names, dtype={"date": str})
    return frame.assign(date=pd.to_datetime(frame["date"], format="%Y%m%d")).loc[:, ["partner_id", "date", "amount"]]


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    """The calibration-period summary in the project's input shape (predictive.SUMMARY_COLUMNS), weeks."""
    transactions = cdnow_transactions()
    calibration = transactions[transactions["date"] <= CALIBRATION_END]
    days = calibration.groupby(["partner_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("partner_id")["date"].transform("min")
    repeat = days[days["date"] > first]
    per_partner = days.groupby("partner_id")["date"]
    summary = pd.DataFrame(
        {
            "frequency": repeat.groupby("partner_id").size().reindex(per_partner.size().index, fill_value=0),
            "recency": (per_partner.max() - per_partner.min()).dt.days / 7,
            "T": (CALIBRATION_END - per_partner.min()).dt.days / 7,
            "monetary_value": repeat.groupby("partner_id")["amount"].mean(),
        }
    ).fillna({"monetary_value": 0.0})
    return summary.reset_index().loc[:, list(predictive.SUMMARY_COLUMNS)]


def test_cdnow_summary_matches_the_papers_counts(cdnow_summary: pd.DataFrame) -> None:
    """2,357 customers, 946 of them with a repeat purchase; customer 1 as in lifetimes' cdnow_customers_summary."""
    assert len(cdnow_summary) == 2357
    assert int((cdnow_summary["frequency"] > 0).sum()) == 946
    first = cdnow_summary.set_index("partner_id").loc[1]
    # Purchases 1997-01-01, 01-18 and 08-02: 2 repeats, 213 days / 7 = 30.43 weeks, 272 days / 7 = 38.86 weeks,
    # average repeat spend (29.73 + 14.96) / 2 = 22.345.
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (2, 30.43, 38.86)
    assert first["monetary_value"] == pytest.approx(22.345)


def test_fit_reproduces_the_published_parameters(cdnow_summary: pd.DataFrame) -> None:
    """BG/NBD (MAP, flat priors) and Gamma-Gamma reproduce the published numbers; scores are sane.

    Tolerances, against the numbers as printed: each BG/NBD parameter (printed to 4 decimals) within 1e-3
    absolute, |fit - published| <= 1e-3; the log-likelihood (printed to 1 decimal) rounds to the printed value,
    i.e. within 0.05; each Gamma-Gamma parameter (printed to 2 decimals) rounds to the printed value, i.e. within
    0.005. Import, model compile, both fits and the scores take about 7 s on an idle 2-core machine once pytensor has
    cached its compiled C code (~/.pytensor; the first run on a machine compiles for about 30 s more).
    """
    fit = predictive.fit_and_score(cdnow_summary, method="map", ltv_months=12, annual_discount_rate=0.0)

    assert fit.converged, fit.message
    for name, published in PUBLISHED_BGNBD.items():
        assert abs(fit.params[name] - published) <= 1e-3, (name, fit.params[name])
    assert round(fit.log_likelihood, 1) == PUBLISHED_LOG_LIKELIHOOD
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert round(fit.params[name], 2) == published, (name, fit.params[name])
    assert (fit.n_partners, fit.n_repeat_partners) == (2357, 946)

    scores = fit.scores.set_index("partner_id")
    assert scores["p_alive"].between(0, 1).all()
    assert scores[["p_alive_low", "p_alive_high", "predictive_ltv_low", "predictive_ltv_high"]].isna().all().all()
    # A partner without a repeat purchase gets the population's expected average value p v / (q - 1).
    population_mean = fit.params["p"] * fit.params["v"] / (fit.params["q"] - 1)
    one_time = cdnow_summary.loc[cdnow_summary["frequency"] == 0, "partner_id"].iloc[0]
    assert scores.loc[one_time, "expected_avg_net_value"] == pytest.approx(population_mean)
    # Undiscounted over 12 months, LTV is expected sales times the expected average value like the 12-month net
    # revenue, but over 12 x 4.345 = 52.14 weeks (pymc-marketing's month) against 365 / 7 = 52.143: within 0.1 %.
    assert scores["predictive_ltv"].to_numpy() == pytest.approx(scores["expected_net_revenue_12m"].to_numpy(), rel=1e-3)
    assert (scores["expected_sales_12m"] >= scores["expected_sales_90d"]).all()


def test_too_few_repeat_partners_is_not_converged() -> None:
    """Fewer repeat partners than Gamma-Gamma parameters + 1: no fit, no scores, a reason (nothing is published)."""
    summary = pd.DataFrame(
        {"partner_id": [1, 2, 3], "frequency": [0, 1, 2], "recency": [0, 2, 5], "T": [10, 10, 10]}
    ).assign(monetary_value=[0.0, 5.0, 7.0])
    fit = predictive.fit_and_score(summary)
    assert not fit.converged
    assert fit.scores.empty
    assert "2 partners with a repeat period" in fit.message


def test_recency_after_t_is_rejected() -> None:
    """recency > T cannot come from a correct summary: the fit refuses it rather than scoring garbage."""
    summary = pd.DataFrame({"partner_id": [1], "frequency": [1], "recency": [11.0], "T": [10.0], "monetary_value": [1]})
    with pytest.raises(ValueError, match="recency after T"):
        predictive.fit_and_score(summary)
