"""Failure alerts: a Slack-compatible JSON message posted to a webhook (pure Python, no Dagster).

The webhook URL is a secret (Slack URLs embed a token): it comes from PRA_ALERT_WEBHOOK_URL (through the
Dagster resource `alerts`) and only its host is ever logged.

An alert the webhook did not take after its retries is kept in an outbox file (`<warehouse>/alerts/
undelivered.jsonl`) until it is delivered: every later delivery first re-posts what is waiting, the sensor
`partner_retention_alert_outbox_sensor` retries every few minutes and shows how many wait, and `pra alerts`
lists them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
    # Where undelivered alerts wait (None: nowhere, they are only logged).
    outbox: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertSettings:
        """PRA_ALERT_WEBHOOK_URL (empty: log only), PRA_UI_URL and the outbox under the warehouse folder."""
        return cls(webhook_url=settings.alert_webhook_url, ui_url=settings.ui_url, outbox=outbox_path(settings))


def outbox_path(settings: Settings) -> Path:
    """The file undelivered alerts wait in, one JSON object per line."""
    return settings.warehouse_dir / "alerts" / "undelivered.jsonl"


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


def _post_with_retries(text: str, settings: AlertSettings, log, attempts: int) -> tuple[bool, str]:
    """Post with exponential backoff on connection errors, 429 and 5xx; (delivered, last problem)."""
    host = webhook_host(settings.webhook_url)
    problem = ""
    for attempt in range(1, attempts + 1):
        try:
            status = post_webhook(settings.webhook_url, text, settings.timeout_seconds)
        except OSError as exc:
            problem = f"unreachable ({exc.__class__.__name__})"
        else:
            if status < 300:
                log.info(f"alert posted to the webhook at {host} (HTTP {status}, attempt {attempt})")
                return True, ""
            problem = f"answered HTTP {status}"
            if status != 429 and status < 500:
                break  # a client error (bad URL, revoked token) will not heal by retrying
        if attempt < attempts:
            delay = settings.first_delay_seconds * 2 ** (attempt - 1)
            log.warning(f"alert webhook at {host} {problem} (attempt {attempt}); retrying in {delay:g} s")
            time.sleep(delay)
    return False, f"{problem} after {attempt} attempt(s)"


@contextmanager
def _locked_outbox(outbox: Path) -> Iterator[list[dict]]:
    """The waiting alerts, under an exclusive lock (the sensor and a `pra run` may flush at once); saved on exit."""
    outbox.parent.mkdir(parents=True, exist_ok=True)
    with (outbox.parent / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        items = pending_alerts(outbox)
        yield items
        tmp = outbox.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
        os.replace(tmp, outbox)


def pending_alerts(outbox: Path | None) -> list[dict]:
    """Alerts waiting in the outbox, oldest first: {"text", "first_failed_at", "attempts", "problem"}."""
    if outbox is None or not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]


def flush_outbox(settings: AlertSettings, log: logging.Logger | logging.LoggerAdapter) -> int:
    """Post every waiting alert once more (one attempt each); returns how many still wait."""
    if settings.outbox is None or not settings.webhook_url or not settings.outbox.exists():
        return len(pending_alerts(settings.outbox))
    with _locked_outbox(settings.outbox) as items:
        still = []
        for item in items:
            delivered, problem = _post_with_retries(item["text"], settings, log, attempts=1)
            if not delivered:
                still.append({**item, "attempts": item["attempts"] + 1, "problem": problem})
            else:
                log.info(f"a waiting alert from {item['first_failed_at']} was delivered")
        items[:] = still
    if still:
        log.warning(f"{len(still)} alert(s) still undelivered, waiting in {settings.outbox}")
    return len(still)


def deliver(text: str, settings: AlertSettings, log: logging.Logger | logging.LoggerAdapter) -> bool:
    """Post the alert (after any that wait), retrying with backoff; True once the webhook took it.

    Every outcome is logged with the webhook's host only. An alert that is still undelivered after the last
    attempt is logged as an ERROR with its whole text and waits in the outbox until a later attempt delivers it.
    """
    if not settings.webhook_url:
        log.warning("PRA_ALERT_WEBHOOK_URL is not set: the alert was only logged")
        return False
    flush_outbox(settings, log)
    delivered, problem = _post_with_retries(text, settings, log, settings.attempts)
    if delivered:
        return True
    host = webhook_host(settings.webhook_url)
    kept = ""
    if settings.outbox is not None:
        with _locked_outbox(settings.outbox) as items:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            items.append({"text": text, "first_failed_at": now, "attempts": settings.attempts, "problem": problem})
        kept = f" It waits in {settings.outbox} until the next alert, the outbox sensor or `pra alerts` posts it."
    log.error(f"ALERT NOT DELIVERED: webhook at {host} {problem}.{kept} The alert was:\n{text}")
    return False
