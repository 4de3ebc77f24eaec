"""Failure alerts: a Slack-compatible JSON message posted to a webhook (pure Python, no Dagster).

The webhook URL is a secret (Slack URLs embed a token): it comes from PRA_ALERT_WEBHOOK_URL (through the
Dagster resource `alerts`) and only its host is ever logged.
"""

from __future__ import annotations

import json
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
