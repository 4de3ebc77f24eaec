"""Predictive partner health: fit BG/NBD, Gamma-Gamma and Pareto/NBD on the partner summary dbt built, write the
scores back (Pareto/NBD's beside BG/NBD's where it converges; BG/NBD's are published either way).

Part of the weekly job (orchestration/defs/jobs.py), between the dbt models: after the summary, before the models
that read the `predictive` source; the nightly job leaves it out and joins the last fit's scores. A run within
PRA_PREDICT_EVERY_DAYS of the last converged fit (e.g. the weekly job run again by hand) keeps that fit. A failed
or non-converged fit is recorded in predictive.fit_runs, writes no scores (the marts keep the last converged fit),
fails the `fit_converged` check and posts an alert; the run goes on.
"""

from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.resources import OWNERS, WAREHOUSE_POOL, AlertResource, WarehouseResource
from orchestration.lib import predictive
from orchestration.lib.alerts import AlertSettings, deliver, run_url

SCORES_KEY = dg.AssetKey(["predictive", "partner_scores"])
FIT_RUNS_KEY = dg.AssetKey(["predictive", "fit_runs"])
SUMMARY_KEY = dg.AssetKey(["intermediate", "int_partners_sales_summarized"])
CHECK_NAME = "fit_converged"


def _alert_text(run_id: str, fit_date: object, message: str, ui_url: str) -> str:
    """The alert for a fit that did not converge: what was kept, why, the link."""
    return "\n".join(
        [
            ":warning: Partner Retention Analytics: the predictive fit did not converge; the last scores are kept",
            f"fit date: {fit_date}",
            f"reason: {message[:500]}",
            f"logs: {run_url(ui_url, run_id)}",
        ]
    )


@dg.multi_asset(
    name="predictive_fit",
    specs=[
        dg.AssetSpec(
            key,
            deps=[SUMMARY_KEY],
            group_name="predictive",
            kinds={"python", "duckdb"},
            owners=OWNERS,
            description=description,
        )  # fmt: skip
        for key, description in (
            (SCORES_KEY, "Per partner and fit date: P(alive), expected sales, net revenue and predictive LTV."),
            (FIT_RUNS_KEY, "Every fit attempt: parameters, log-likelihood, partners, converged, method, seconds."),
        )
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=SCORES_KEY,
            blocking=False,
            description="The latest fit attempt converged (else the last converged scores stay and an alert is sent).",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def predictive_fit(context: dg.AssetExecutionContext, warehouse: WarehouseResource, alerts: AlertResource):
    """Fit the predictive models on int_partners_sales_summarized when due; append the attempt and its scores."""
    settings = warehouse.settings
    with warehouse.connect(read_only=True) as con:
        as_of, summary = predictive.read_summary(con)
        last_fit = predictive.last_converged_fit_date(con)
    common = {
        "partners": dg.MetadataValue.int(len(summary)),
        "as_of_date": dg.MetadataValue.text(str(as_of)),
        "last_converged_fit_date": dg.MetadataValue.text(str(last_fit)),
        "every_days": dg.MetadataValue.int(settings.predict_every_days),
    }
    repeat = int(((summary["monetary_frequency"] > 0) & (summary["monetary_value"] > 0)).sum())
    if as_of is None or repeat < predictive.MIN_REPEAT_PARTNERS:
        note = f"no fit: {repeat} partners with a repeat sale day (at least {predictive.MIN_REPEAT_PARTNERS} needed)"
    elif not predictive.fit_is_due(last_fit, as_of, settings.predict_every_days):
        note = (
            f"kept the fit of {last_fit}: the data ({as_of}) is within {settings.predict_every_days} days of it "
            "(PRA_PREDICT_EVERY_DAYS)"
        )
    else:
        note = None
    if note:
        context.log.info(note)
        for key in (SCORES_KEY, FIT_RUNS_KEY):
            yield dg.MaterializeResult(asset_key=key, metadata={**common, "status": dg.MetadataValue.text(note)})
        yield dg.AssetCheckResult(asset_key=SCORES_KEY, check_name=CHECK_NAME, passed=True, description=note)
        return

    method = settings.predict_method
    try:
        fit = predictive.fit_and_score(
            summary,
            method=method,
            ltv_months=settings.predict_ltv_months,
            annual_discount_rate=settings.predict_discount_rate,
            pareto_nbd=settings.predict_pareto_nbd,
        )
    except Exception as exc:  # a crash of the fit is a failed fit: keep the last scores, record it, alert
        fit = predictive.PredictiveFit(
            method, {}, float("nan"), False, len(summary), repeat, 0.0, summary.iloc[:0], f"fit raised {exc!r}"
        )
    with warehouse.connect() as con:
        predictive.write_fit(
            con, fit, as_of, datetime.now(UTC), settings.predict_ltv_months, settings.predict_discount_rate
        )
    summary_line = (
        f"{method} fit as of {as_of} on {fit.n_partners} partners ({fit.n_repeat_partners} repeat) in "
        f"{fit.seconds:.1f} s: " + ("converged" if fit.converged else "NOT converged, last scores kept")
    )
    context.log.info(f"{summary_line}; {fit.message}")
    params = {k: round(v, 6) for k, v in fit.params.items()}
    metadata = {
        **common,
        "status": dg.MetadataValue.text(summary_line),
        "method": dg.MetadataValue.text(method),
        "converged": dg.MetadataValue.bool(fit.converged),
        "params": dg.MetadataValue.json(params),
        "log_likelihood": dg.MetadataValue.float(round(fit.log_likelihood, 4) if fit.converged else float("nan")),
        "seconds": dg.MetadataValue.float(round(fit.seconds, 3)),
        "message": dg.MetadataValue.text(fit.message),
        "pareto_nbd_converged": dg.MetadataValue.bool(fit.pareto_nbd.converged),
        "pareto_nbd_params": dg.MetadataValue.json({k: round(v, 6) for k, v in fit.pareto_nbd.params.items()}),
        "pareto_nbd_seconds": dg.MetadataValue.float(round(fit.pareto_nbd.seconds, 3)),
    }
    yield dg.MaterializeResult(asset_key=FIT_RUNS_KEY, metadata=metadata)
    yield dg.MaterializeResult(
        asset_key=SCORES_KEY,
        metadata={**metadata, "scored_partners": dg.MetadataValue.int(len(fit.scores))},
    )
    yield dg.AssetCheckResult(
        asset_key=SCORES_KEY,
        check_name=CHECK_NAME,
        passed=fit.converged,
        # A warning, not an error: the marts keep the last converged fit, so publication goes on (and the alert
        # below tells the operator).
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{summary_line}; {fit.message}",
    )
    if not fit.converged:
        alert_settings = AlertSettings.from_settings(alerts.settings)
        deliver(_alert_text(context.run_id, as_of, fit.message, alert_settings.ui_url), alert_settings, context.log)
