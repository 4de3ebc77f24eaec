"""Time the predictive fit alone: on a pipeline run's own summary (`python -m bench.predictive_fit --warehouse W`) or
on a synthetic one (`--partners 100000`).

`--warehouse`: the work warehouse (work.duckdb) of a pipeline run; the summary is read with the fit asset's own
`predictive.read_summary` and fitted with its `predictive.fit_and_score` at the settings of the environment, as the
asset would (`PRA_PREDICT_METHOD`, `PRA_PREDICT_PARETO_NBD`, ...), read-only: nothing is written. `make bench` runs
it on every preset's full run (bench/run.py), so the large preset's 100,000 partners are timed on their own summary.
`--partners`: drawn from the models themselves (BG/NBD with CDNOW-like parameters, Gamma-Gamma values), so the fit
has a known answer: the recovered parameters are printed next to the true ones; for a machine without a large run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

TRUE_PARAMS = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0}


def synthetic_summary(partners: int, seed: int = 0) -> pd.DataFrame:
    """`partners` rows in the model's input shape, drawn from BG/NBD and Gamma-Gamma with TRUE_PARAMS (weeks)."""
    rng = np.random.default_rng(seed)
    t = TRUE_PARAMS
    T = rng.uniform(4, 156, partners)  # first sale between 3 years and 4 weeks before the as-of date
    rate = rng.gamma(t["r"], 1 / t["alpha"], partners)
    dropout = rng.beta(t["a"], t["b"], partners)
    frequency = np.zeros(partners)
    recency = np.zeros(partners)
    now = np.zeros(partners)
    alive = np.ones(partners, dtype=bool)
    # Sale days while alive: exponential gaps, a dropout draw after each sale day (vectorised over partners).
    while alive.any():
        gap = rng.exponential(1 / np.maximum(rate, 1e-12))
        step = alive & (now + gap <= T)
        now = np.where(step, now + gap, now)
        frequency += step
        recency = np.where(step, now, recency)
        alive = step & (rng.random(partners) >= dropout)
    # A partner's value rate nu ~ Gamma(q, rate v); the mean of its x repeat values ~ Gamma(p x, rate nu) / x.
    nu = rng.gamma(t["q"], 1 / t["v"], partners)
    repeats = np.maximum(frequency, 1)
    value = np.where(frequency > 0, rng.gamma(t["p"] * repeats, 1 / nu) / repeats, 0.0)
    return pd.DataFrame(
        {
            "partner_id": [f"P{i:06d}" for i in range(partners)],
            "frequency": frequency,
            "recency": recency,
            "T": T,
            "monetary_value": value,
        }
    )


def _summary(args: argparse.Namespace) -> tuple[str, pd.DataFrame]:
    """The summary to fit and where it came from."""
    if args.warehouse is None:
        return f"synthetic {args.partners} partners", synthetic_summary(args.partners)
    import duckdb

    from orchestration.lib import predictive

    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        as_of, summary = predictive.read_summary(con)
    return f"{args.warehouse} as of {as_of}", summary


def main(argv: list[str] | None = None) -> int:
    """CLI: fit one summary once and print seconds, convergence and parameters as JSON."""
    ap = argparse.ArgumentParser(prog="python -m bench.predictive_fit", description=__doc__.splitlines()[0])
    source = ap.add_mutually_exclusive_group()
    source.add_argument("--warehouse", type=Path, help="a pipeline run's work.duckdb: fit its own summary")
    source.add_argument("--partners", type=int, default=100_000, help="size of a synthetic summary (default)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    source_name, summary = _summary(args)
    from orchestration.lib import predictive
    from orchestration.lib.settings import Settings

    settings = Settings.from_env()
    fit = predictive.fit_and_score(
        summary,
        method=settings.predict_method,
        ltv_months=settings.predict_ltv_months,
        annual_discount_rate=settings.predict_discount_rate,
        pareto_nbd=settings.predict_pareto_nbd,
    )
    out = {
        "source": source_name,
        "partners": len(summary),
        "method": settings.predict_method,
        "seconds_with_import": round(time.perf_counter() - started, 2),
        "seconds_fit_and_score": round(fit.seconds, 2),
        "converged": fit.converged,
        "params": {k: round(v, 4) for k, v in fit.params.items()},
        "pareto_nbd": {
            "fitted": fit.pareto_nbd.fitted,
            "converged": fit.pareto_nbd.converged,
            "seconds": round(fit.pareto_nbd.seconds, 2),
            "params": {k: round(v, 4) for k, v in fit.pareto_nbd.params.items()},
        },
        "true_params": TRUE_PARAMS if args.warehouse is None else None,
        "message": fit.message,
    }
    print(json.dumps(out))
    return 0 if fit.converged else 1


if __name__ == "__main__":
    raise SystemExit(main())
