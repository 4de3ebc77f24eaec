"""What `pra` shows while a run executes: one line per step with its counts, a progress bar on long steps.

Two Dagster loggers for in-process runs (`pra demo`, `pra run`, `pra backfill`): `pra_console` turns the run's
events into step lines on the terminal; `pra_file` writes every Dagster log line (DEBUG and up) to a log file.
The dbt output that dagster-dbt writes to stdout goes to the same file (`captured_output`). Runs started from
the UI or the schedules keep Dagster's own console logger: these loggers are only attached by `pra`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# The run's ops, in the order they run, and the name each has on the console.
STEP_LABELS = {
    "ingest_landing_files": "ingest",
    "dbt_models": "dbt",
    "predictive_fit": "predict",
    "publish_gates": "quality",
    # The gates of the marts that read the predictive fit's scores (orchestration/defs/quality/checks.py).
    "publish_gates_predictive": "quality",
    "published_marts": "publish",
}
# Steps slow enough for a bar (a history load or a full dbt build takes minutes).
BAR_STEPS = ("ingest_landing_files", "dbt_models")


@dataclass
class StepCounts:
    """What one step did, gathered from its events."""

    assets: set[str] = field(default_factory=set)
    rows: int = 0
    files: int = 0
    checks_passed: int = 0
    gates_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str = ""  # the predictive fit's one-line outcome (its materialization's `status`)


def op_of(step: str) -> str:
    """The op a step runs: the weekly job runs the dbt models as two steps around the predictive fit, and Dagster
    names the second `dbt_models_2` (orchestration/defs/transformation/assets.py)."""
    base, _, number = step.rpartition("_")
    return base if number.isdigit() and base in STEP_LABELS else step


def _meta_value(value: Any) -> Any:
    """The plain value of a Dagster metadata entry (int, text, path, ...)."""
    return getattr(value, "value", value)


class RunConsole:
    """Turns a run's Dagster events into step lines (and bars) on a console."""

    def __init__(self, console: Console, totals: dict[str, int]) -> None:
        self.console = console
        self.totals = totals
        self.steps: dict[str, StepCounts] = {}
        self.published: dict[str, Any] = {}
        self._progress: Progress | None = None
        self._task = None

    def handle(self, event: dg.DagsterEvent) -> None:
        """Update counts and bars from one event; print a line when a step ends."""
        step = event.step_key
        if step is None or op_of(step) not in STEP_LABELS:
            return
        counts = self.steps.setdefault(step, StepCounts())
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START and op_of(step) in BAR_STEPS and self.console.is_terminal:
            self._start_bar(step)
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            if key in counts.assets:
                return  # a range run materializes each raw table once per day, all with the same metadata
            counts.assets.add(key)
            meta = {k: _meta_value(v) for k, v in materialization.metadata.items()}
            counts.rows += int(meta.get("rows_loaded") or 0)
            counts.files += int(meta.get("files") or 0)
            if step == "published_marts":
                self.published = meta
            counts.status = str(meta.get("status") or counts.status)
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.path[-1]}:{evaluation.check_name}"
            if evaluation.passed:
                counts.checks_passed += 1
                counts.gates_passed += evaluation.severity == dg.AssetCheckSeverity.ERROR
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                counts.warnings.append(name)
            else:
                counts.checks_failed.append(name)
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            self._stop_bar()
            failure, details = None, []
            if kind == dg.DagsterEventType.STEP_FAILURE:
                failure, details = failure_text(root_cause(event.event_specific_data.error))
            self.console.print(self.step_line(step, counts, failure), highlight=False, soft_wrap=True)
            for line in details:
                self.console.print(f"{'':<9}{line}", highlight=False, soft_wrap=True)
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.console.print(f"{STEP_LABELS[op_of(step)]:<9} skipped (an upstream step failed)", highlight=False)

    def step_line(self, step: str, c: StepCounts, failure: str | None = None) -> str:
        """One line: what the step did, in counts."""
        op = op_of(step)
        label = f"{STEP_LABELS[op]:<9}"
        checks = c.checks_passed + len(c.checks_failed) + len(c.warnings)
        built = len(c.assets)
        if op == "ingest_landing_files":
            text = (
                f"{built}/{self.totals.get(step, built)} raw tables, {c.rows:,} rows from {c.files:,} files; "
                f"volume checks {c.checks_passed}/{checks} passed"
            )
        elif op == "predictive_fit":
            text = c.status or "no fit"
        elif op == "dbt_models":
            text = (
                f"models {built}/{self.totals.get(step, built)} built; "
                f"tests {c.checks_passed}/{self.totals.get(step + '/tests', checks)} passed"
            )
            if step != op:
                text += " (reading the predictive scores)"
        elif op.startswith("publish_gates"):
            gates = c.gates_passed + len(c.checks_failed)
            warning_checks = checks - gates
            text = f"Great Expectations publish gates {c.gates_passed}/{gates} passed"
            text += "; " if op == "publish_gates" else " (marts reading the predictive scores); "
            text += (
                f"{len(c.warnings)}/{warning_checks} warning checks fired: {', '.join(c.warnings)}"
                if c.warnings
                else f"no warning among {warning_checks} warning checks"
            )
        else:
            text = (
                f"version {self.published.get('version')} as of {self.published.get('as_of_date')}, "
                f"{len(self.published.get('row_counts') or {})} marts"
                if self.published
                else "nothing published"
            )
        if c.warnings and not op.startswith("publish_gates"):
            text += f"; warnings: {', '.join(c.warnings[:5])}" + (" ..." if len(c.warnings) > 5 else "")
        if c.checks_failed:
            text += f"; FAILED: {', '.join(c.checks_failed[:5])}" + (" ..." if len(c.checks_failed) > 5 else "")
        if failure:
            text += f"; step FAILED: {failure}"
        return label + text

    def _start_bar(self, step: str) -> None:
        self._progress = Progress(
            TextColumn(f"{STEP_LABELS[op_of(step)]:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,  # the bar gives way to the step's line
            # What libraries print goes to the log file (captured_output), not above the bar.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(step, total=self.totals.get(step))
        self._progress.start()

    def _stop_bar(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task = None, None


def root_cause(error: Any) -> str:
    """The message of the innermost cause of a step's error (Dagster wraps it: "Error occurred while executing op")."""
    if error is None:
        return "failed"
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error.message


def failure_text(message: str, limit: int = 3) -> tuple[str, list[str]]:
    """A failed step's error for the console: its first line, and the first errors dbt reported, if any.

    dagster-dbt's error says only that dbt failed and lists dbt's own errors after a heading; those name
    the cause (a failing test, a locked file), so they are worth the extra lines.
    """
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    first = lines[0] if lines else "failed"
    heading = "Errors parsed from dbt logs:"
    dbt_errors = lines[lines.index(heading) + 1 :][:limit] if heading in lines else []
    return first, [e if len(e) <= 300 else e[:297] + "..." for e in dbt_errors]


class _EventHandler(logging.Handler):
    """Passes the Dagster event on each log record to a RunConsole."""

    def __init__(self, run_console: RunConsole) -> None:
        super().__init__(level=logging.DEBUG)
        self.run_console = run_console

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None:
            self.run_console.handle(event)


def console_logger(run_console: RunConsole) -> dg.LoggerDefinition:
    """A Dagster logger that feeds a RunConsole."""

    @dg.logger(description="pra: one line per step on the terminal")
    def pra_console(_init_context: dg.InitLoggerContext) -> logging.Logger:
        log = logging.getLogger("pra.console")
        log.handlers = [_EventHandler(run_console)]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    return pra_console


def file_logger(stream: IO[str], level: str = "INFO") -> dg.LoggerDefinition:
    """A Dagster logger that writes the run's log lines from `level` up to `stream`."""

    @dg.logger(description="pra: the full Dagster log in the run's log file")
    def pra_file(_init_context: dg.InitLoggerContext) -> logging.Logger:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log = logging.getLogger("pra.file")
        log.handlers = [handler]
        log.setLevel(level)
        log.propagate = False
        return log

    return pra_file


@contextlib.contextmanager
def captured_output(stream: IO[str]) -> Iterator[None]:
    """Send what libraries print (dbt's output via dagster-dbt, warnings) to `stream` instead of the terminal."""
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        yield


def log_path(warehouse_dir: Path, run_label: str) -> Path:
    """Where a `pra` run's full log goes: <warehouse>/logs/pra-<label>.log."""
    return warehouse_dir / "logs" / f"pra-{run_label}.log"


def terminal() -> Console:
    """The console `pra` prints step lines to: today's stdout, kept while `captured_output` redirects it."""
    return Console(file=sys.stdout, highlight=False)
