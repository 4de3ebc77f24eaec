"""Predictive partner health: BG/NBD, Gamma-Gamma and Pareto/NBD (pymc-marketing's CLV models) on a partner summary.

Input: one row per partner (`SUMMARY_COLUMNS`): `frequency` = repeat periods with a sale (periods after the first
one), `recency` = weeks from the first to the last period with a sale, `T` = weeks from the first period with a sale
to the end of observation, `monetary_value` = average positive net value of the repeat periods (0 without one),
optional `monetary_frequency` = how many repeat periods that average is over (default: `frequency`).
Output: the fitted parameters, the BG/NBD log-likelihood, a convergence flag and per-partner scores (`SCORE_COLUMNS`);
BG/NBD is the primary score, Pareto/NBD a second opinion on P(alive) and expected sales, published only where it
converges (`ParetoNBDFit`). Formulas, units and edge cases in docs/metrics.md ("Predictive partner health").

pymc and pytensor load inside the functions: importing this module (and the Dagster definitions) stays fast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from orchestration.lib.settings import PREDICT_METHODS

SUMMARY_COLUMNS = ("partner_id", "frequency", "recency", "T", "monetary_value")
METHODS = PREDICT_METHODS  # MAP point estimates (default) or NUTS samples with intervals
DAYS_PER_WEEK = 7.0
WEEKS_90_DAYS = 90 / DAYS_PER_WEEK
WEEKS_12_MONTHS = 365 / DAYS_PER_WEEK
BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "v")
PARETO_NBD_PARAMS = ("r", "alpha", "s", "beta")
# Central interval of the MCMC draws reported as `*_low` / `*_high` (5th and 95th percentiles).
INTERVAL = (0.05, 0.95)
# A MAP fit has converged when the log-likelihood's largest gradient (on the log scale of each parameter) divided by
# the square root of the number of partners is at most this: the optimum is then off by about 1 % of a standard error
# or less (the curvature grows with n, the standard error shrinks with its root), whatever the size of the program.
# An MCMC fit has converged when every parameter's R-hat is at most MAX_RHAT.
MAX_GRADIENT_PER_ROOT_N = 0.01
MAX_RHAT = 1.01
# Null where Pareto/NBD did not converge: BG/NBD's scores are published without them.
P_ALIVE_ROUNDING = 1e-9
PARETO_NBD_SCORE_COLUMNS = ("pareto_nbd_p_alive", "pareto_nbd_expected_sales_90d", "pareto_nbd_expected_sales_12m")
SCORE_COLUMNS = (
    "partner_id",
    "p_alive",
    "p_sale_90d",
    "expected_sales_90d",
    "expected_sales_12m",
    "expected_avg_net_value",
    "expected_net_revenue_12m",
    "predictive_ltv",
    "p_alive_low",
    "p_alive_high",
    "predictive_ltv_low",
    "predictive_ltv_high",
    *PARETO_NBD_SCORE_COLUMNS,
)


@dataclass(frozen=True)
class ParetoNBDFit:
    """The Pareto/NBD fit beside BG/NBD (always MAP): parameters r, alpha, s, beta, diagnostics, why not converged;
    `fitted` False: not attempted (setting PRA_PREDICT_PARETO_NBD off, or too little data for any fit)."""

    params: dict[str, float]
    log_likelihood: float
    converged: bool
    seconds: float
    message: str
    fitted: bool = True


PARETO_NBD_NOT_FITTED = ParetoNBDFit({}, float("nan"), False, 0.0, "not fitted (PRA_PREDICT_PARETO_NBD off)", False)


@dataclass(frozen=True)
class PredictiveFit:
    """One fit: parameters (BG/NBD r, alpha, a, b; Gamma-Gamma p, q, v), diagnostics and per-partner scores."""

    method: str
    params: dict[str, float]
    log_likelihood: float
    converged: bool
    n_partners: int
    n_repeat_partners: int
    seconds: float
    scores: pd.DataFrame = field(repr=False)
    message: str = ""
    pareto_nbd: ParetoNBDFit = PARETO_NBD_NOT_FITTED


def monthly_discount_rate(annual_rate: float) -> float:
    """The monthly rate that compounds to `annual_rate` over 12 months."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def _customer_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """pymc-marketing's column names (`customer_id`) and float inputs; checks the summary's columns and ranges."""
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"partner summary lacks {missing}")
    columns = [*SUMMARY_COLUMNS, *(["monetary_frequency"] if "monetary_frequency" in summary.columns else [])]
    data = summary.loc[:, columns].rename(columns={"partner_id": "customer_id"}).reset_index(drop=True)
    if "monetary_frequency" not in data.columns:
        data["monetary_frequency"] = data["frequency"]
    for column in [*SUMMARY_COLUMNS[1:], "monetary_frequency"]:
        data[column] = data[column].astype("float64")
    bad = data[(data["frequency"] < 0) | (data["recency"] < 0) | (data["recency"] > data["T"] + 1e-9)]
    if len(bad):
        example = bad.iloc[0].to_dict()
        raise ValueError(f"{len(bad)} partners with negative frequency or recency after T, e.g. {example}")
    return data


def _spend_input(data: pd.DataFrame) -> pd.DataFrame:
    """Gamma-Gamma's input: x = repeat periods averaged over; 0 (the population mean) without a positive one."""
    spend = data.loc[:, ["customer_id", "monetary_frequency", "monetary_value"]].rename(
        columns={"monetary_frequency": "frequency"}
    )
    no_own_value = (spend["monetary_value"] <= 0) | (spend["frequency"] <= 0)
    spend.loc[no_own_value, ["frequency", "monetary_value"]] = 0.0
    return spend


def _flat_priors(names: tuple[str, ...]) -> dict[str, Any]:
    """HalfFlat priors: MAP is then the maximum-likelihood estimate of the published papers."""
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


def _fit(model: Any, data: pd.DataFrame, method: str, mcmc_draws: int, random_seed: int) -> None:
    """Fit `model` by MAP or NUTS, quietly."""
    if method == "map":
        model.fit(data=data, method="map", progressbar=False)
    elif method == "mcmc":
        model.fit(
            data=data,
            method="mcmc",
            draws=mcmc_draws,
            tune=mcmc_draws,
            chains=2,
            cores=1,
            random_seed=random_seed,
            progressbar=False,
        )
    else:
        raise ValueError(f"method {method!r}: choose one of {', '.join(METHODS)}")


def _point(model: Any, names: tuple[str, ...]) -> dict[str, float]:
    """Posterior means (the MAP estimate itself for a MAP fit)."""
    posterior = model.idata.posterior
    return {name: float(posterior[name].mean()) for name in names}


def _diagnose(model: Any, names: tuple[str, ...], method: str, n: int) -> tuple[float, bool, str]:
    """Log-likelihood at the point estimate, convergence flag and a one-line reason."""
    import arviz as az

    pm_model = model.model
    point = _point(model, names)
    if not all(np.isfinite(v) and v > 0 for v in point.values()):
        return float("nan"), False, f"parameters not finite and positive: {point}"
    # The point on the sampler's (log) scale; HalfFlat priors add nothing, so logp without Jacobian is the likelihood.
    values = {}
    for rv in pm_model.free_RVs:
        value_var = pm_model.rvs_to_values[rv]
        transform = pm_model.rvs_to_transforms.get(rv)
        raw = np.asarray(point[rv.name])
        values[value_var.name] = np.log(raw) if transform is not None else raw
    # One compiled function for both (each compile rewrites the whole graph: about half a second).
    logp_and_gradient = pm_model.compile_fn(
        [pm_model.logp(jacobian=False), pm_model.dlogp(jacobian=False)], point_fn=True
    )
    loglik, gradient = logp_and_gradient(values)
    loglik = float(loglik)
    if not np.isfinite(loglik):
        return loglik, False, "log-likelihood not finite"
    if method == "map":
        gradient = np.abs(gradient).max() / np.sqrt(max(n, 1))
        ok = bool(gradient <= MAX_GRADIENT_PER_ROOT_N)
        return loglik, ok, f"max |gradient| / sqrt(n) {gradient:.1e} (limit {MAX_GRADIENT_PER_ROOT_N:g})"
    rhat = float(max(float(az.rhat(model.idata, var_names=[name])[name]) for name in names))
    return loglik, rhat <= MAX_RHAT, f"max R-hat {rhat:.3f} (limit {MAX_RHAT})"


def fit_bgnbd(summary: pd.DataFrame, method: str = "map", mcmc_draws: int = 1000, random_seed: int = 0) -> tuple:
    """BG/NBD fit: (model, params r/alpha/a/b, log-likelihood, converged, reason)."""
    from pymc_marketing.clv import BetaGeoModel

    data = _customer_frame(summary)
    model = BetaGeoModel(model_config=_flat_priors(BGNBD_PARAMS))
    _fit(model, data.loc[:, ["customer_id", "frequency", "recency", "T"]], method, mcmc_draws, random_seed)
    loglik, converged, reason = _diagnose(model, BGNBD_PARAMS, method, len(data))
    return model, _point(model, BGNBD_PARAMS), loglik, converged, reason


def fit_gamma_gamma(summary: pd.DataFrame, method: str = "map", mcmc_draws: int = 1000, random_seed: int = 0) -> tuple:
    """Gamma-Gamma fit on the partners with a repeat period and a positive average value: (model, params, ok, why)."""
    from pymc_marketing.clv import GammaGammaModel

    data = _customer_frame(summary)
    repeat = _spend_input(data)
    repeat = repeat[repeat["frequency"] > 0]
    model = GammaGammaModel(model_config=_flat_priors(GAMMA_GAMMA_PARAMS))
    _fit(model, repeat, method, mcmc_draws, random_seed)
    params = _point(model, GAMMA_GAMMA_PARAMS)
    _, converged, reason = _diagnose(model, GAMMA_GAMMA_PARAMS, method, len(repeat))
    # The expected average value is finite only for q > 1 (its mean is p v / (q - 1)).
    if params["q"] <= 1:
        converged, reason = False, f"Gamma-Gamma q = {params['q']:.3f} <= 1: no finite expected value"
    return model, params, converged, reason


def fit_pareto_nbd(summary: pd.DataFrame) -> tuple:
    """Pareto/NBD fit by MAP with flat priors: (model, params r/alpha/s/beta, log-likelihood, converged, reason).

    Always MAP, whatever the method of BG/NBD: NUTS needs the gradient of the Gauss hypergeometric function in the
    likelihood at every step, which pymc-marketing itself calls "very slow"; the scores are a second opinion.
    """
    from pymc_marketing.clv import ParetoNBDModel

    data = _customer_frame(summary)
    model = ParetoNBDModel(model_config=_flat_priors(PARETO_NBD_PARAMS))
    _fit(model, data.loc[:, ["customer_id", "frequency", "recency", "T"]], "map", 0, 0)
    loglik, converged, reason = _diagnose(model, PARETO_NBD_PARAMS, "map", len(data))
    return model, _point(model, PARETO_NBD_PARAMS), loglik, converged, reason


def score_pareto_nbd(model: Any, summary: pd.DataFrame) -> pd.DataFrame:
    """Per-partner Pareto/NBD scores (`PARETO_NBD_SCORE_COLUMNS`) from a MAP fit."""
    data = _customer_frame(summary)
    transactions = data.loc[:, ["customer_id", "frequency", "recency", "T"]]

    def point(values: Any) -> np.ndarray:
        return values.mean([d for d in ("chain", "draw") if d in values.dims]).values

    return pd.DataFrame(
        {
            "pareto_nbd_p_alive": point(model.expected_probability_alive(data=transactions)),
            "pareto_nbd_expected_sales_90d": point(model.expected_purchases(data=transactions, future_t=WEEKS_90_DAYS)),
            "pareto_nbd_expected_sales_12m": point(
                model.expected_purchases(data=transactions, future_t=WEEKS_12_MONTHS)
            ),
        }
    )


def pareto_nbd_fit_and_score(summary: pd.DataFrame) -> tuple[ParetoNBDFit, pd.DataFrame | None]:
    """Fit and score Pareto/NBD; (fit, scores) with scores None unless it converged to finite scores.

    A crash counts as not converged: BG/NBD's scores are published without Pareto/NBD's.
    """
    started = time.perf_counter()
    try:
        model, params, loglik, converged, reason = fit_pareto_nbd(summary)
        scores = score_pareto_nbd(model, summary) if converged else None
    except Exception as exc:  # e.g. the hypergeometric series not converging: no Pareto/NBD, BG/NBD goes on
        params, loglik, converged, reason, scores = {}, float("nan"), False, f"fit raised {exc!r}", None
    if scores is not None and not np.isfinite(scores.to_numpy(dtype="float64")).all():
        converged, scores = False, None
        reason += "; scores not finite (a NaN or an overflow for some partner)"
    if scores is not None:
        # P(alive) is exp(log numerator - log-likelihood): rounding puts some partners at 1 + 1e-14 (CDNOW: 7 of
        # 2,357). Clipped; anything farther outside [0, 1] is a failed fit.
        p_alive = scores["pareto_nbd_p_alive"]
        if p_alive.between(-P_ALIVE_ROUNDING, 1 + P_ALIVE_ROUNDING).all():
            scores["pareto_nbd_p_alive"] = p_alive.clip(0.0, 1.0)
        else:
            converged, scores = False, None
            reason += f"; P(alive) outside [0, 1]: {p_alive.min():.6g} to {p_alive.max():.6g}"
    return ParetoNBDFit(params, loglik, converged, time.perf_counter() - started, reason), scores


def _interval(values: Any, low: bool) -> np.ndarray:
    """The lower or upper end of the MCMC interval per partner; null for a single draw (MAP)."""
    if values.sizes.get("chain", 1) * values.sizes.get("draw", 1) <= 1:
        return np.full(values.sizes["customer_id"], np.nan)
    quantile = INTERVAL[0] if low else INTERVAL[1]
    return values.quantile(quantile, dim=("chain", "draw")).values


def score_partners(
    bgnbd: Any,
    gamma_gamma: Any,
    summary: pd.DataFrame,
    ltv_months: int,
    annual_discount_rate: float,
    pareto_nbd_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-partner scores (`SCORE_COLUMNS`) from fitted BG/NBD and Gamma-Gamma models, with Pareto/NBD's (in the
    summary's order) or nulls."""
    from pymc_marketing.clv import customer_lifetime_value

    data = _customer_frame(summary)
    transactions = data.loc[:, ["customer_id", "frequency", "recency", "T"]]
    p_alive = bgnbd.expected_probability_alive(data=transactions)
    no_sale_90d = bgnbd.expected_probability_no_purchase(t=WEEKS_90_DAYS, data=transactions)
    sales_90d = bgnbd.expected_purchases(data=transactions, future_t=WEEKS_90_DAYS)
    sales_12m = bgnbd.expected_purchases(data=transactions, future_t=WEEKS_12_MONTHS)
    avg_value = gamma_gamma.expected_customer_spend(data=_spend_input(data)).mean(("chain", "draw"))
    # Discounted monthly steps of expected sales times the expected average value (pymc-marketing, as lifetimes).
    ltv = customer_lifetime_value(
        transaction_model=bgnbd,
        data=transactions.assign(future_spend=avg_value.values),
        future_t=ltv_months,
        discount_rate=monthly_discount_rate(annual_discount_rate),
        time_unit="W",
    )
    draws = ("chain", "draw")

    def mean(values: Any) -> np.ndarray:
        return values.mean([d for d in draws if d in values.dims]).values

    scores = pd.DataFrame(
        {
            "partner_id": data["customer_id"].to_numpy(),
            "p_alive": mean(p_alive),
            "p_sale_90d": 1.0 - mean(no_sale_90d),
            "expected_sales_90d": mean(sales_90d),
            "expected_sales_12m": mean(sales_12m),
            "expected_avg_net_value": avg_value.values,
        }
    )
    scores["expected_net_revenue_12m"] = scores["expected_sales_12m"] * scores["expected_avg_net_value"]
    scores["predictive_ltv"] = mean(ltv)
    scores["p_alive_low"] = _interval(p_alive, low=True)
    scores["p_alive_high"] = _interval(p_alive, low=False)
    scores["predictive_ltv_low"] = _interval(ltv, low=True) if "draw" in ltv.dims else np.nan
    scores["predictive_ltv_high"] = _interval(ltv, low=False) if "draw" in ltv.dims else np.nan
    for column in PARETO_NBD_SCORE_COLUMNS:
        scores[column] = pareto_nbd_scores[column].to_numpy() if pareto_nbd_scores is not None else np.nan
    return scores.loc[:, list(SCORE_COLUMNS)]


def scores_are_finite(scores: pd.DataFrame) -> bool:
    """Every estimate a finite number (a NaN or an overflow is a failed fit, never a published score); only the
    interval columns (MAP gives none) and Pareto/NBD's (where it did not converge) may be null."""
    optional = [c for c in scores.columns if c.endswith(("_low", "_high")) or c in PARETO_NBD_SCORE_COLUMNS]
    estimates = [c for c in scores.columns if c != "partner_id" and c not in optional]
    return bool(
        np.isfinite(scores[estimates].to_numpy(dtype="float64")).all()
        and np.isfinite(scores[optional].fillna(0).to_numpy(dtype="float64")).all()
    )


def fit_and_score(
    summary: pd.DataFrame,
    method: str = "map",
    ltv_months: int = 24,
    annual_discount_rate: float = 0.10,
    mcmc_draws: int = 1000,
    random_seed: int = 0,
    pareto_nbd: bool = True,
) -> PredictiveFit:
    """Fit BG/NBD, Gamma-Gamma and Pareto/NBD on `summary` and score every partner; `converged` False (BG/NBD or
    Gamma-Gamma) means do not publish; a Pareto/NBD that did not converge (or `pareto_nbd` False: not fitted)
    leaves only its columns null."""
    started = time.perf_counter()
    data = _customer_frame(summary)
    n_repeat = int(((data["monetary_frequency"] > 0) & (data["monetary_value"] > 0)).sum())
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in SCORE_COLUMNS})
    if n_repeat < MIN_REPEAT_PARTNERS:
        return PredictiveFit(
            method, {}, float("nan"), False, len(data), n_repeat, time.perf_counter() - started, empty,
            f"{n_repeat} partners with a repeat period: too few to fit",
        )  # fmt: skip
    bgnbd, bg_params, loglik, bg_ok, bg_reason = fit_bgnbd(summary, method, mcmc_draws, random_seed)
    gamma_gamma, gg_params, gg_ok, gg_reason = fit_gamma_gamma(summary, method, mcmc_draws, random_seed)
    pareto_nbd_fit, pareto_nbd_scores = (
        pareto_nbd_fit_and_score(summary) if pareto_nbd else (PARETO_NBD_NOT_FITTED, None)
    )
    converged = bg_ok and gg_ok
    scores = (
        score_partners(bgnbd, gamma_gamma, summary, ltv_months, annual_discount_rate, pareto_nbd_scores)
        if converged
        else empty
    )
    if converged and not scores_are_finite(scores):
        converged, scores = False, empty
        bg_reason += "; scores not finite (a NaN or an overflow for some partner)"
    return PredictiveFit(
        method=method,
        params={**bg_params, **gg_params},
        log_likelihood=loglik,
        converged=converged,
        n_partners=len(data),
        n_repeat_partners=n_repeat,
        seconds=time.perf_counter() - started,
        scores=scores,
        message=f"BG/NBD: {bg_reason}; Gamma-Gamma: {gg_reason}; Pareto/NBD: {pareto_nbd_fit.message}",
        pareto_nbd=pareto_nbd_fit,
    )


# The warehouse side: dbt builds the summary (models/intermediate/predictive/int_partners_sales_summarized.sql) and
# creates the fit's tables (macros/create_predictive_tables.sql, their one column list); the fit appends by name.
SUMMARY_RELATION = "intermediate.int_partners_sales_summarized"
FIT_RUNS_TABLE = "predictive.fit_runs"
SCORES_TABLE = "predictive.partner_scores"
# The summary's dbt columns -> the model's input names (weeks; reporting currency).
SUMMARY_FROM_DBT = {
    "partner_id": "partner_id",
    "frequency": "frequency",
    "recency_weeks": "recency",
    "t_weeks": "T",
    "avg_repeat_net_value_reporting": "monetary_value",
    "positive_repeat_days_count": "monetary_frequency",
}
# Below this many partners with a positive repeat period there is nothing to learn: no fit, no alert.
MIN_REPEAT_PARTNERS = 10


def read_summary(con: Any) -> tuple[date | None, pd.DataFrame]:
    """The summary dbt built (as of its as_of_date) in the model's input names; (None, empty) without partners."""
    select = ", ".join(f"{dbt} as {name}" for dbt, name in SUMMARY_FROM_DBT.items())
    frame = con.execute(f"select {select} from {SUMMARY_RELATION} order by partner_id").df()
    as_of = con.execute(f"select max(as_of_date) from {SUMMARY_RELATION}").fetchone()[0]
    return as_of, frame


def last_converged_fit_date(con: Any) -> date | None:
    """The data date of the last converged fit, or None before the first."""
    return con.execute(f"select max(fit_date) from {FIT_RUNS_TABLE} where is_converged").fetchone()[0]


def fit_is_due(last_fit: date | None, as_of: date, every_days: int) -> bool:
    """Refit when there is no converged fit yet, or the data is `every_days` or more days past it (0: always)."""
    return last_fit is None or every_days <= 0 or (as_of - last_fit).days >= every_days


def write_fit(
    con: Any, fit: PredictiveFit, fit_date: date, fitted_at: datetime, ltv_months: int, annual_discount_rate: float
) -> None:
    """Record the attempt in fit_runs; replace the fit date's scores only when it converged (one transaction).

    Pareto/NBD's parameters are recorded only where it converged (its reason is in the message either way).
    """
    pareto_nbd = fit.pareto_nbd
    published = pareto_nbd.params if pareto_nbd.converged else {}
    run = pd.DataFrame(
        [
            {
                "fit_date": fit_date,
                "fitted_at": fitted_at.replace(tzinfo=None),
                "method": fit.method,
                "is_converged": fit.converged,
                "message": fit.message,
                "partners_count": fit.n_partners,
                "repeat_partners_count": fit.n_repeat_partners,
                **{name: fit.params.get(name) for name in (*BGNBD_PARAMS, *GAMMA_GAMMA_PARAMS)},
                "log_likelihood": fit.log_likelihood if np.isfinite(fit.log_likelihood) else None,
                "is_pareto_nbd_converged": pareto_nbd.converged if pareto_nbd.fitted else None,
                **{f"pareto_nbd_{name}": published.get(name) for name in PARETO_NBD_PARAMS},
                "pareto_nbd_log_likelihood": pareto_nbd.log_likelihood if pareto_nbd.converged else None,
                "ltv_months": ltv_months,
                "annual_discount_rate": annual_discount_rate,
                "seconds": round(fit.seconds, 3),
            }
        ]
    )
    con.execute("begin transaction")
    try:
        con.register("fit_run_frame", run)
        con.execute(f"insert into {FIT_RUNS_TABLE} by name select * from fit_run_frame")
        if fit.converged:
            scores = fit.scores.assign(fit_date=fit_date, partner_id=fit.scores["partner_id"].astype(str))
            con.register("scores_frame", scores)
            con.execute(f"delete from {SCORES_TABLE} where fit_date = ?", [fit_date])
            con.execute(f"insert into {SCORES_TABLE} by name select * from scores_frame")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
