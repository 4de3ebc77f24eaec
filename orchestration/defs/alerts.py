"""Failure alerts: a failed run (including one stopped by a failed blocking check) posts to a webhook."""

import logging

import dagster as dg

from orchestration.defs.resources import AlertResource
from orchestration.lib.alerts import AlertSettings, failure_text, post_webhook, webhook_host

logger = logging.getLogger("orchestration.alerts")


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Blocking (ERROR) asset checks that failed in the run, as `asset:check`."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    out = []
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            out.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(set(out))


def send_failure_alert(context: dg.RunFailureSensorContext, settings: AlertSettings) -> str:
    """Build the alert for the failed run, log it, and post it when a webhook is configured."""
    run = context.dagster_run
    steps = sorted({e.step_key for e in context.get_step_failure_events() if e.step_key})
    checks = failed_checks(context.instance, run.run_id)
    reason = context.failure_event.message or ""
    text = failure_text(run.run_id, run.job_name, steps, checks, settings.ui_url, reason)
    context.log.error(text)
    logger.error(text)
    if not settings.webhook_url:
        context.log.warning("PRA_ALERT_WEBHOOK_URL is not set: the alert was only logged")
        return text
    host = webhook_host(settings.webhook_url)
    try:
        status = post_webhook(settings.webhook_url, text, settings.timeout_seconds)
    except OSError as exc:
        context.log.error(f"alert webhook at {host} unreachable: {exc.__class__.__name__}")
        raise
    if status >= 300:
        context.log.error(f"alert webhook at {host} answered HTTP {status}")
    else:
        context.log.info(f"alert posted to the webhook at {host} (HTTP {status})")
    return text


@dg.run_failure_sensor(
    name="partner_retention_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts failed runs (step or blocking check) to PRA_ALERT_WEBHOOK_URL with a link to the UI.",
)
def partner_retention_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertResource):
    """Every failed run of this code location becomes one alert."""
    send_failure_alert(context, AlertSettings.from_settings(alerts.settings))
