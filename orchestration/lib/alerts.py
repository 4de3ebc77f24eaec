"""Failure alerts: a Slack-compatible JSON message posted to a webhook (pure Python, no Dagster).

The webhook URL is a secret (Slack URLs embed a token): it comes from PRA_ALERT_WEBHOOK_URL (through the
Dagster resource `alerts`) and only its host is ever logged.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from orchestration.lib.settings import Settings


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go and which UI the links point at."""

    webhook_url: str
    ui_url: str
    timeout_seconds: float = 10.0
    # A failed post is retried with exponential backoff: 1 s, 2 s, 4 s (at most about a minute in all,
    # timeouts included), then reported as undelivered.
    attempts: int = 4
    first_delay_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertSettings:
        """PRA_ALERT_WEBHOOK_URL (empty: log only) and PRA_UI_URL, parsed."""
        return cls(webhook_url=settings.alert_webhook_url, ui_url=settings.ui_url)


def run_url(ui_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


def failure_text(
    run_id: str, job_name: str, failed_steps: Sequence[str], failed_checks: Sequence[str], ui_url: str, reason: str = ""
) -> str:
    """One alert message: what failed, where, and the link to the run."""
    lines = [f":rotating_light: Partner Retention Analytics: run of `{job_name}` failed"]
    lines.append(f"run: {run_id}")
    if failed_steps:
        lines.append("failed step(s): " + ", ".join(failed_steps))
    if failed_checks:
        lines.append("failed blocking check(s): " + ", ".join(failed_checks))
    if reason:
        lines.append(f"reason: {reason[:500]}")
    lines.append(f"logs: {run_url(ui_url, run_id)}")
    return "\n".join(lines)


def webhook_host(url: str) -> str:
    """The host of a webhook URL: safe to log, unlike the path (which may carry a token)."""
    return urlsplit(url).netloc or "<invalid url>"


def post_webhook(url: str, text: str, timeout: float = 10.0) -> int:
    """POST `{"text": ...}` as JSON; returns the HTTP status. Raises OSError on connection failures."""
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver(text: str, settings: AlertSettings, log: logging.Logger | logging.LoggerAdapter) -> bool:
    """Post the alert, retrying connection errors, 429 and 5xx with backoff; True once the webhook took it.

    Every outcome is logged with the webhook's host only. An alert that is still undelivered after the last
    attempt is logged as an ERROR with its whole text, so it stays visible in the log it was meant to leave.
    """
    if not settings.webhook_url:
        log.warning("PRA_ALERT_WEBHOOK_URL is not set: the alert was only logged")
        return False
    host = webhook_host(settings.webhook_url)
    problem = ""
    for attempt in range(1, settings.attempts + 1):
        try:
            status = post_webhook(settings.webhook_url, text, settings.timeout_seconds)
        except OSError as exc:
            problem = f"unreachable ({exc.__class__.__name__})"
        else:
            if status < 300:
                log.info(f"alert posted to the webhook at {host} (HTTP {status}, attempt {attempt})")
                return True
            problem = f"answered HTTP {status}"
            if status != 429 and status < 500:
                break  # a client error (bad URL, revoked token) will not heal by retrying
        if attempt < settings.attempts:
            delay = settings.first_delay_seconds * 2 ** (attempt - 1)
            log.warning(f"alert webhook at {host} {problem} (attempt {attempt}); retrying in {delay:g} s")
            time.sleep(delay)
    log.error(f"ALERT NOT DELIVERED: webhook at {host} {problem} after {attempt} attempt(s). The alert was:\n{text}")
    return False
