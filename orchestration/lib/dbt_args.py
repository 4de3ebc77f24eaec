"""Pure helpers that build a dbt command: its executable, arguments and window environment (unit-tested)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path


def installed_dbt() -> Path:
    """The project's dbt command installed beside this interpreter (a venv works without being activated):
    `pra-dbt`, dbt's command line that keeps its saved parse for a new warehouse (lib/dbt_command.py)."""
    return Path(sys.executable).parent / "pra-dbt"


# The run's window reaches the models as environment variables PRA_DBT_<NAME> that dbt reads only while executing
# (macro run_var, dbt_project/macros/run_var.sql), never as --vars: dbt keeps its parsed project across runs
# (partial parsing) only while the --vars stay the same, and a full parse costs seconds on every run.
WINDOW_ENV_PREFIX = "PRA_DBT_"
# Constant from run to run: tells the parse that a window will come, so the incremental models are incremental
# (macro has_partition_window).
PARTITIONED_ENV = {"PRA_DBT_PARTITIONED": "true"}
# The values macro run_var reads: a run's, never the project's.
RUN_VARS = ("min_date", "max_date", "as_of_date", "checked_from")


def window_vars(start: date, end: date, extra: dict[str, object] | None = None) -> dict[str, object]:
    """The window values for the half-open window [start, end); as_of_date is the last day inside it."""
    if end <= start:
        raise ValueError(f"empty window: start {start} must be before end {end}")
    return {
        "min_date": start.isoformat(),
        "max_date": end.isoformat(),
        "as_of_date": (end - timedelta(days=1)).isoformat(),
        **(extra or {}),
    }


def window_env(
    start: date, end: date, as_of: date | None = None, checked_from: date | None = None
) -> dict[str, str]:
    """Environment of a dbt run for the window [start, end) (as_of: the numbers' date when not end - 1 day;
    checked_from: the first day whose periods its data tests read, when not `start`, macro test_window_filter)."""
    extra = {"as_of_date": as_of.isoformat()} if as_of else {}
    extra |= {"checked_from": checked_from.isoformat()} if checked_from else {}
    return run_env(window_vars(start, end, extra))


def run_env(values: Mapping[str, object]) -> dict[str, str]:
    """Environment of a dbt command for run values (RUN_VARS), as macro run_var reads them; with a window among
    them, also the flag that makes the incremental models incremental."""
    if unknown := set(values) - set(RUN_VARS):
        raise ValueError(f"not a run value (macro run_var): {sorted(unknown)}")
    partitioned = PARTITIONED_ENV if "min_date" in values else {}
    return {**partitioned, **{WINDOW_ENV_PREFIX + k.upper(): str(v) for k, v in values.items()}}


# dbt writes its file log (a pipeline run's: warehouse/dbt_target/dbt.log) at debug level unless told otherwise: every
# SQL statement and connection event, about nine lines per node, which cost 1.5-2 s of a run's data tests. Every dbt
# command of the pipeline (ProjectDbtCliResource.cli, orchestration/defs/resources.py) writes it at info, the lines
# dbt prints (each node's start, result and error); dbt's own DBT_LOG_LEVEL_FILE, when set (e.g. to debug), wins.
FILE_LOG_LEVEL = "info"


def file_log_env() -> dict[str, str]:
    """Environment of a pipeline run's dbt command for its file log's level (FILE_LOG_LEVEL unless already set)."""
    return {"DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE") or FILE_LOG_LEVEL}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for the block (a subprocess started inside inherits them), then restore."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_args(project_vars: dict[str, object] | None = None, target: str | None = None) -> list[str]:
    """The `--target` and `--vars` of a run's dbt command, and of `pra manifest`'s parse: dbt keeps a saved parse
    only for the same vars and target (lib/dbt_command.py), so a new warehouse's first run keeps the project's."""
    args = ["--target", target] if target else []
    return args + (["--vars", json.dumps(project_vars, sort_keys=True)] if project_vars else [])


def dbt_build_args(
    *, full_refresh: bool = False, project_vars: dict[str, object] | None = None, target: str | None = None
) -> list[str]:
    """`dbt build` arguments; project_vars (the same from run to run) serialised as JSON so dbt parses them exactly;
    target: the profile's output to build in (the engine, PRA_ENGINE; none: the profile's default).

    dbt unit tests prove the SQL, not the day's data: a pipeline run leaves them out (about 4 s of every run);
    `make test` runs them once (tests/integration/test_dbt_unit_tests.py), as dbt recommends for production.
    """
    args = ["build", "--exclude-resource-type", "unit_test", *run_args(project_vars, target)]
    if full_refresh:
        args.append("--full-refresh")
    return args
