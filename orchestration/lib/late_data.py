"""Late data and freshness: what changed in the landing folder since the last look (pure, no Dagster).

The late-data sensor keeps a snapshot of every landing file, `{"<entity>/dt=<day>/<file>": [mtime_ns, size]}`,
as its JSON cursor. A file that is new, changed or gone in a partition older than yesterday is late:
the nightly run only reprocesses its look-back window, so such files get a run of their own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.lib.contract import ENTITIES

LANDING_SUFFIXES = (".csv", ".parquet")
Snapshot = dict[str, list[int]]


def scan_landing(landing_dir: Path) -> Snapshot:
    """Every landing file of a known entity with its modification time (ns) and size."""
    snapshot: Snapshot = {}
    for entity in ENTITIES:
        root = landing_dir / entity
        if not root.is_dir():
            continue
        for path in root.glob("dt=*/*"):
            if path.suffix in LANDING_SUFFIXES and path.is_file():
                stat = path.stat()
                snapshot[f"{entity}/{path.parent.name}/{path.name}"] = [stat.st_mtime_ns, stat.st_size]
    return snapshot


def partition_day(key: str) -> date | None:
    """The partition day of a snapshot key `<entity>/dt=<day>/<file>`; None if the folder is misnamed."""
    try:
        return date.fromisoformat(key.split("/")[1][3:])
    except (IndexError, ValueError):
        return None


def changed_files(previous: Snapshot, current: Snapshot) -> list[str]:
    """Keys of files that are new, modified (mtime or size) or removed, sorted."""
    keys = set(previous) | set(current)
    return sorted(k for k in keys if previous.get(k) != current.get(k))


@dataclass(frozen=True)
class LateData:
    """The late files found by one look and the inclusive partition range that reprocesses them."""

    files: list[str]
    first_day: date
    last_day: date
    run_key: str


def find_late_data(previous: Snapshot | None, current: Snapshot, today: date) -> LateData | None:
    """Late changes between two snapshots, or None. No previous snapshot: this look is the baseline."""
    if previous is None:
        return None
    cutoff = today - timedelta(days=1)
    late = [k for k in changed_files(previous, current) if (d := partition_day(k)) is not None and d < cutoff]
    if not late:
        return None
    days = [partition_day(k) for k in late]
    # The run key names the exact change set (file, mtime, size), so the same arrival never runs twice.
    fingerprint = json.dumps([[k, current.get(k)] for k in late], sort_keys=True)
    run_key = "late-" + hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return LateData(files=late, first_day=min(days), last_day=max(days), run_key=run_key)


def encode_cursor(snapshot: Snapshot) -> str:
    """The sensor cursor: the snapshot as compact JSON."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> Snapshot | None:
    """The snapshot stored in a cursor; None for a first evaluation (or an unreadable cursor)."""
    if not cursor:
        return None
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def newest_partition(landing_dir: Path, entity: str) -> date | None:
    """The newest `dt=` day of an entity that holds at least one landing file."""
    days = [
        d
        for folder in (landing_dir / entity).glob("dt=*")
        if (d := partition_day(f"{entity}/{folder.name}/x")) is not None
        and any(p.suffix in LANDING_SUFFIXES for p in folder.iterdir())
    ]
    return max(days) if days else None


def hours_overdue(newest: date | None, now: datetime, timezone: str, deadline_hours: float) -> float | None:
    """Hours past the deadline for the next partition (None if on time).

    The day after `newest` is due `deadline_hours` after `newest` ends (midnight, in `timezone`).
    """
    if newest is None:
        return float("inf")
    day_end = datetime.combine(newest + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))
    lag = (now - day_end).total_seconds() / 3600
    return lag - deadline_hours if lag > deadline_hours else None
