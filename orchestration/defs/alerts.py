"""Failure alerts: a failed run (including one stopped by a failed blocking check) posts to a webhook.

The run-failure sensor alerts for runs launched in the code location (schedules, sensors, the UI); `pra run`
and `pra backfill` execute in their own process, which that sensor never sees, so they send the same alert
themselves (orchestration/cli.py) with `alert_failed_run`.
"""

import logging
from collections.abc import Iterable

import dagster as dg

from orchestration.defs.resources import AlertResource
from orchestration.lib.alerts import AlertSettings, deliver, failure_text, flush_outbox

logger = logging.getLogger("orchestration.alerts")
# The events an alert is made of; a sensor reads only these from the run's event log.
ALERT_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    dg.DagsterEventType.RUN_FAILURE,
}
# A failed check's description or step's error (which name the file and counts) is cut to this length.
CHECK_TEXT_CHARS = 300


def failed_checks(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """Blocking (ERROR) asset checks that failed, as `asset:check (description)`."""
    out = []
    for event in events:
        if event.event_type != dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            text = (evaluation.description or "").strip()
            out.append(f"{name} ({text[:CHECK_TEXT_CHARS]})" if text else name)
    return sorted(set(out))


def _step_failure(event: dg.DagsterEvent) -> str:
    """`step (why)`: a dg.Failure's description (which names the file), else the error's first line."""
    data = event.event_specific_data
    user = getattr(data, "user_failure_data", None)
    why = (user.description if user and user.description else None) or (data.error.message if data.error else "")
    why = why.strip().splitlines()[0] if why and why.strip() else ""
    return f"{event.step_key} ({why[:CHECK_TEXT_CHARS]})" if why else str(event.step_key)


def alert_text(run_id: str, job_name: str, events: Iterable[dg.DagsterEvent], ui_url: str) -> str:
    """The alert for a failed run, from its events: failed steps, failed blocking checks, the reason, the link."""
    events = [e for e in events if e.event_type in ALERT_EVENTS]
    failures = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE and e.step_key]
    steps = sorted({_step_failure(e) for e in failures})
    reason = next((e.message or "" for e in events if e.event_type == dg.DagsterEventType.RUN_FAILURE), "")
    return failure_text(run_id, job_name, steps, failed_checks(events), ui_url, reason)


def alert_failed_run(
    run_id: str,
    job_name: str,
    events: Iterable[dg.DagsterEvent],
    settings: AlertSettings,
    log=logger,
    *,
    strict: bool = False,
) -> str:
    """Build the alert of a failed run from its events, log it and post it (with retries); returns the text.

    `strict`: raise when a configured webhook did not take it (the sensor's tick then fails, visibly in the UI).
    """
    text = alert_text(run_id, job_name, events, settings.ui_url)
    log.error(text)
    if log is not logger:
        logger.error(text)
    if not deliver(text, settings, log) and strict and settings.webhook_url:
        raise RuntimeError("the failure alert was not delivered to the webhook (see the log for the alert)")
    return text


@dg.run_failure_sensor(
    name="partner_retention_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts failed runs (step or blocking check) to PRA_ALERT_WEBHOOK_URL with a link to the UI.",
)
def partner_retention_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertResource):
    """Every failed run of this code location becomes one alert."""
    run = context.dagster_run
    events = [r.dagster_event for r in context.instance.all_logs(run.run_id, of_type=ALERT_EVENTS)]
    settings = AlertSettings.from_settings(alerts.settings)
    alert_failed_run(run.run_id, run.job_name, events, settings, context.log, strict=True)


# How often waiting alerts are posted again (the sensor's own interval is the backoff between rounds).
OUTBOX_RETRY_SECONDS = 300


@dg.sensor(
    name="partner_retention_alert_outbox_sensor",
    minimum_interval_seconds=OUTBOX_RETRY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts failure alerts the webhook did not take again, every 5 minutes, until it takes them.",
)
def partner_retention_alert_outbox_sensor(context: dg.SensorEvaluationContext, alerts: AlertResource):
    """Undelivered alerts stay visible here (the tick says how many wait) until the webhook takes them."""
    waiting = flush_outbox(AlertSettings.from_settings(alerts.settings), context.log)
    return dg.SkipReason(f"{waiting} undelivered alert(s) waiting" if waiting else "no undelivered alerts")
