"""Pure helpers for on-call operations (no Dagster here)."""

from __future__ import annotations

from datetime import date, timedelta

# Set by the late-data sensor: the landing files whose arrival requested the run (for the run page).
LATE_FILES_TAG = "pra/late_files"


def effective_as_of(window_end: date, latest_loaded: date | None) -> date:
    """as_of_date of a run: the newest loaded day, even when the run re-processes an older window.

    A backfill or late-data run of last quarter must not turn the marts back to last quarter.
    """
    last_in_window = window_end - timedelta(days=1)
    return max(last_in_window, latest_loaded) if latest_loaded else last_in_window
