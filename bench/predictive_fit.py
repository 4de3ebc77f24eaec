"""Time the predictive fit alone on a synthetic partner summary (`python -m bench.predictive_fit --partners 100000`).

The summary is drawn from the models themselves (BG/NBD with CDNOW-like parameters, Gamma-Gamma values), so the
fit has a known answer: the recovered parameters are printed next to the true ones. `make bench` runs it for the
large preset's 100,000 partners (bench/run.py); the pipeline's own `predictive_fit` step is in the run profile.
"""

from __future__ import annotations

import argparse
import json
import time

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


def main(argv: list[str] | None = None) -> int:
    """CLI: fit the synthetic summary once and print seconds, convergence and parameters as JSON."""
    ap = argparse.ArgumentParser(prog="python -m bench.predictive_fit", description=__doc__.splitlines()[0])
    ap.add_argument("--partners", type=int, default=100_000)
    ap.add_argument("--method", default="map")
    args = ap.parse_args(argv)
    summary = synthetic_summary(args.partners)
    started = time.perf_counter()
    from orchestration.lib import predictive

    fit = predictive.fit_and_score(summary, method=args.method)
    out = {
        "partners": args.partners,
        "method": args.method,
        "seconds_with_import": round(time.perf_counter() - started, 2),
        "seconds_fit_and_score": round(fit.seconds, 2),
        "converged": fit.converged,
        "params": {k: round(v, 4) for k, v in fit.params.items()},
        "true_params": TRUE_PARAMS,
        "message": fit.message,
    }
    print(json.dumps(out))
    return 0 if fit.converged else 1


if __name__ == "__main__":
    raise SystemExit(main())
