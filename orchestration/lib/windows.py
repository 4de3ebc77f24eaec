"""Pure helpers for choosing partition windows (nightly look-back, backfill ranges)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def nightly_window(run_date: date, lookback_days: int, earliest: date) -> tuple[date, date]:
    """Inclusive first and last partition day for a nightly run on `run_date`: yesterday plus a look-back."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1 (yesterday only)")
    last = run_date - timedelta(days=1)
    first = max(earliest, last - timedelta(days=lookback_days - 1))
    return first, last


def range_problem(first: date, last: date, partitions_start: date, today: date) -> str | None:
    """Why the inclusive range [first, last] cannot run as daily partitions, in one line; None if it can."""
    if last < first:
        return f"the range ends ({last}) before it starts ({first})"
    if first < partitions_start:
        return (
            f"{first} is before the first daily partition {partitions_start}: set PRA_PARTITIONS_START={first} "
            "(or earlier) to load that history"
        )
    if last >= today:
        return f"{last} is not a complete day yet: the last daily partition is {today - timedelta(days=1)}"
    return None


def range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags that make one run cover the inclusive partition range [first, last]."""
    if last < first:
        raise ValueError(f"range ends ({last}) before it starts ({first})")
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}


PARTITION_TAG = "dagster/partition"


def window_from_tags(tags: dict[str, str]) -> tuple[date, date] | None:
    """Half-open [start, end) of the daily partitions a run covers, from its tags; None if unpartitioned."""
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        first, last = date.fromisoformat(tags[RANGE_START_TAG]), date.fromisoformat(tags[RANGE_END_TAG])
    elif PARTITION_TAG in tags:
        first = last = date.fromisoformat(tags[PARTITION_TAG])
    else:
        return None
    return first, last + timedelta(days=1)


# What a dbt step's data tests read, recorded on the run for the publish gates to read the same rows (docs/quality.md,
# "Which rows the data tests and the gates read"): the window's first day, or "all". One tag per dbt step (the weekly
# job runs the dbt models as two steps).
CHECKED_FROM_TAG = "pra/{step}/checked_from"
EVERY_ROW = "all"


def checked_from_tags(step: str, start: date, full_refresh: bool) -> dict[str, str]:
    """The run tag of a dbt step that tested the periods from `start`'s on, or every row after a full refresh."""
    return {CHECKED_FROM_TAG.format(step=step): EVERY_ROW if full_refresh else start.isoformat()}


def checked_from(tags: Mapping[str, str]) -> date | None:
    """The first day whose periods the gates read: the earliest any dbt step of the run tested from; None (every row)
    when a step tested every row, or when none recorded it (gates run without a dbt step)."""
    prefix, suffix = CHECKED_FROM_TAG.split("{step}")
    values = [v for k, v in tags.items() if k.startswith(prefix) and k.endswith(suffix)]
    if not values or EVERY_ROW in values:
        return None
    return min(date.fromisoformat(v) for v in values)
