"""Pure helpers that build dbt CLI arguments for a partition window (unit-tested)."""

from __future__ import annotations

import json
from datetime import date, timedelta


def window_vars(start: date, end: date, extra: dict[str, object] | None = None) -> dict[str, object]:
    """dbt vars for the half-open window [start, end); as_of_date is the last day inside it."""
    if end <= start:
        raise ValueError(f"empty window: start {start} must be before end {end}")
    return {
        "min_date": start.isoformat(),
        "max_date": end.isoformat(),
        "as_of_date": (end - timedelta(days=1)).isoformat(),
        **(extra or {}),
    }


def dbt_build_args(
    start: date, end: date, *, full_refresh: bool = False, extra_vars: dict[str, object] | None = None
) -> list[str]:
    """`dbt build` arguments for one window; vars serialised as JSON so dbt parses them exactly.

    dbt unit tests prove the SQL, not the day's data: a pipeline run leaves them out (about 4 s of every run);
    `make test` runs them once (tests/integration/test_dbt_unit_tests.py), as dbt recommends for production.
    """
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(window_vars(start, end, extra_vars), sort_keys=True),
    ]
    if full_refresh:
        args.append("--full-refresh")
    return args
