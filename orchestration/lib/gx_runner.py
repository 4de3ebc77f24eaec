"""Run the Great Expectations publish suites (`expectations/<mart>__publish.py`) against the work warehouse.

GE 1.x validates pandas DataFrames read from a read-only DuckDB connection: its SQL datasource returns no
metric rows on DuckDB (GE issues #10738, #11579). No Dagster here, so the gate is testable on its own.

A suite file is plain Python that defines `CHECKS: list[Check]` (the judgement: reconciliations,
cross-column and per-period rules, warnings) and may define `KEY_METRICS` ({name: SQL
aggregate over the mart}), compared with the last published version and recorded in the publish log,
`BATCHES` ({name: SQL}) for derived DataFrames, and `RESTATEMENT_METRICS` ({name: SQL aggregate}) summed by
`month_start_date` for restatements. In SQL, `{mart}` is the mart's relation, `{checked}` its rows a window run
checks one by one (every row otherwise) and `{ref[model]}` the relation of a dbt model upstream of the mart, read
from the dbt manifest (docs/quality.md).

What is mechanical comes from the dbt manifest, not from the suite: value ranges declared on the model's
columns (`config: {meta: {pra: {range: [min, max]}}}`), one `as_of_date` and one `reporting_currency` per
mart, and the volume comparison. Names and types belong to the dbt model contract; keys, enums and
identities to dbt tests.
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import math
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXPECTATIONS_DIR = REPO / "expectations"
MANIFEST_PATH = REPO / "dbt_project" / "target" / "manifest.json"
# How far a volume or key metric may move per publish (docs/quality.md, "Volume against the last published version").
DEFAULT_VOLUME_TOLERANCE = 0.30
# Money reconciles to the cent: a difference rounded to cents must be zero (half a cent either side).
CENT = 0.005
# The staged money every revenue mart must account for: converted, valid transactions.
STAGED_MONEY_MODEL = "int_transactions_converted"
# Columns that must hold one value per published mart (a version describes one day, in one currency).
SINGLE_VALUE_COLUMNS = ("as_of_date", "reporting_currency")
ERROR = "error"
WARNING = "warning"
FAILING_ROW_SAMPLE = 5


@dataclass(frozen=True)
class Check:
    """One expectation of a suite: which DataFrame it runs on, and whether it blocks publication."""

    expectation: Any
    batch: str = "mart"
    level: str = ERROR
    sql: str | None = None  # the batch's SQL, for a check that brings its own derived DataFrame


@dataclass(frozen=True)
class SuiteContext:
    """What the volume comparison depends on: the previous published version and the operator's override."""

    mart: str
    previous: Mapping[str, Any] | None = None
    allow_volume_jump: bool = False
    tolerance: float = DEFAULT_VOLUME_TOLERANCE

    def volume_checks(self, key_metrics: Mapping[str, str] | None = None) -> list[Check]:
        """Row count and key metrics within `tolerance` of the last published version (none on first publish)."""
        import great_expectations.expectations as gxe

        if self.previous is None or self.allow_volume_jump:
            return []
        checks = []
        rows = self.previous.get("row_count")
        if rows:
            lo, hi = _band(rows, self.tolerance)
            checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=math.floor(lo), max_value=math.ceil(hi))))
        for name in key_metrics or {}:
            prev = (self.previous.get("key_metrics") or {}).get(name)
            if not prev:  # nothing (or zero) last time: any value is a relative jump, so no band
                continue
            lo, hi = _band(prev, self.tolerance)
            checks.append(
                Check(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=lo, max_value=hi), batch="key_metrics")
            )
        return checks


def _band(value: float, tolerance: float) -> tuple[float, float]:
    """The interval [value*(1-t), value*(1+t)], ordered for negative values."""
    a, b = value * (1 - tolerance), value * (1 + tolerance)
    return (min(a, b), max(a, b))


def between(
    column: str,
    min_value: float | None = None,
    max_value: float | None = None,
    *,
    batch: str = "mart",
    level: str = ERROR,
    **kwargs: Any,
) -> Check:
    """`column` within [min_value, max_value] (an open end is None) on every row of `batch`."""
    import great_expectations.expectations as gxe

    expectation = gxe.ExpectColumnValuesToBeBetween(column=column, min_value=min_value, max_value=max_value, **kwargs)
    return Check(expectation, batch=batch, level=level)


def at_least(column_a: str, column_b: str, *, level: str = ERROR, **kwargs: Any) -> Check:
    """`column_a >= column_b` on every row of the mart."""
    import great_expectations.expectations as gxe

    return Check(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=column_a, column_B=column_b, or_equal=True, **kwargs),
        level=level,
    )


def one_value(column: str, *, batch: str = "mart") -> Check:
    """`column` holds exactly one distinct value."""
    import great_expectations.expectations as gxe

    return Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column=column, min_value=1, max_value=1), batch=batch)


def reconciles_to_staged_money(mart_column: str) -> Check:
    """The sum of `mart_column` equals the staged net money (`int_transactions_converted`) to the cent."""
    sql = (
        f"select cast(round((select sum({mart_column}) from {{mart}}) - "
        f"(select sum(net_amount_reporting) from {{ref[{STAGED_MONEY_MODEL}]}}), 2) as double) as difference_reporting"
    )
    return replace(between("difference_reporting", -CENT, CENT, batch="staged_money"), sql=sql)


def is_published(node: Mapping[str, Any]) -> bool:
    """Whether dbt marks a model as published (`+meta: {pra: {published: true}}` on the marts folder)."""
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    return bool((meta.get("pra") or {}).get("published"))


@dataclass(frozen=True)
class DbtModels:
    """The models of the dbt manifest: relations, lineage and column meta, by model name."""

    nodes: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, manifest_path: Path = MANIFEST_PATH) -> DbtModels:
        """Read the manifest built by `pra manifest` (cached while the file is unchanged)."""
        path = Path(manifest_path)
        return _load_models(path, path.stat().st_mtime_ns)

    def relation(self, model: str) -> str:
        """`"schema"."alias"` of a model in the work warehouse (no catalog: the gate's connection is the warehouse)."""
        node = self.nodes[model]
        return f'"{node["schema"]}"."{node["alias"]}"'

    def published(self) -> list[str]:
        """The published marts, by name."""
        return sorted(name for name, node in self.nodes.items() if is_published(node))

    def upstream(self, model: str) -> set[str]:
        """Every model the given one depends on, directly or not."""
        by_id = {node["unique_id"]: name for name, node in self.nodes.items()}
        seen: set[str] = set()
        todo = [model]
        while todo:
            for parent in self.nodes[todo.pop()]["depends_on"]["nodes"]:
                name = by_id.get(parent)
                if name and name not in seen:
                    seen.add(name)
                    todo.append(name)
        return seen

    def reads_source(self, model: str, source_name: str) -> bool:
        """Whether the model selects from a table of the dbt source `source_name` itself."""
        parents = self.nodes[model]["depends_on"]["nodes"]
        return any(p.startswith("source.") and p.split(".")[2] == source_name for p in parents)

    def column_meta(self, model: str) -> dict[str, dict[str, Any]]:
        """`pra` meta of each column declared in the model's YAML."""
        out = {}
        for name, column in self.nodes[model].get("columns", {}).items():
            meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
            if meta.get("pra"):
                out[name] = meta["pra"]
        return out


@functools.lru_cache(maxsize=4)
def _load_models(path: Path, mtime_ns: int) -> DbtModels:
    manifest = json.loads(path.read_text())
    return DbtModels({n["name"]: n for n in manifest["nodes"].values() if n.get("resource_type") == "model"})


class _UpstreamRefs(Mapping[str, str]):
    """`{ref[model]}` in a suite's SQL: the relation of a model the mart depends on, or a clear error."""

    def __init__(self, models: DbtModels, mart: str) -> None:
        self._models, self._mart = models, mart
        self._upstream = models.upstream(mart) | {mart}

    def __getitem__(self, model: str) -> str:
        if model not in self._upstream:
            raise ValueError(
                f"{self._mart}__publish reads {model!r}, which is not upstream of {self._mart} in the dbt lineage: "
                "a suite may only read models its mart depends on"
            )
        return self._models.relation(model)

    def __iter__(self):
        return iter(self._upstream)

    def __len__(self) -> int:
        return len(self._upstream)


def generated_checks(models: DbtModels, mart: str, columns: Sequence[str], *, empty: bool = False) -> list[Check]:
    """The mechanical expectations: declared column ranges, and one value in each single-value column.

    An empty mart (an event mart whose optional entity is absent or had no events, e.g. no blocked payouts) has
    no single value to hold.
    """
    checks = []
    for column, meta in models.column_meta(mart).items():
        if "range" in meta:
            low, high = meta["range"]
            checks.append(between(column, low, high))
    if not empty:
        checks.extend(one_value(c) for c in SINGLE_VALUE_COLUMNS if c in columns)
    return checks


def suite_reads(mart: str, expectations_dir: Path = EXPECTATIONS_DIR) -> set[str]:
    """The models a mart's publish gate reads: the mart and every `{ref[model]}` in its suite's SQL."""
    suite = load_suite(mart, expectations_dir)
    if suite is None:
        return {mart}
    sqls = [*suite.batches.values(), *(c.sql for c in suite.checks if c.sql)]
    fields = {name for sql in sqls for _, name, _, _ in string.Formatter().parse(sql) if name}
    return {mart} | {name.removeprefix("ref[").removesuffix("]") for name in fields if name.startswith("ref[")}


@dataclass
class Suite:
    """A loaded suite file."""

    mart: str
    path: Path
    module: ModuleType

    @property
    def checks(self) -> list[Check]:
        return list(getattr(self.module, "CHECKS", []))

    @property
    def key_metrics(self) -> dict[str, str]:
        return dict(getattr(self.module, "KEY_METRICS", {}))

    @property
    def batches(self) -> dict[str, str]:
        return dict(getattr(self.module, "BATCHES", {}))

    @property
    def restatement_metrics(self) -> dict[str, str]:
        return dict(getattr(self.module, "RESTATEMENT_METRICS", {}))

    @property
    def volume_checked(self) -> bool:
        """False for a findings mart (e.g. data-quality issues), whose row count may rightly fall to zero."""
        return bool(getattr(self.module, "VOLUME_CHECKED", True))


def suite_path(mart: str, expectations_dir: Path = EXPECTATIONS_DIR) -> Path:
    """Where the publish suite of `mart` lives."""
    return expectations_dir / f"{mart}__publish.py"


def load_suite(mart: str, expectations_dir: Path = EXPECTATIONS_DIR) -> Suite | None:
    """Import `expectations/<mart>__publish.py`, or None when the mart has no suite."""
    path = suite_path(mart, expectations_dir)
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"pra_expectations.{mart}__publish", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Suite(mart, path, module)


@dataclass
class ExpectationOutcome:
    """One expectation's result in words a person can read."""

    expectation: str
    column: str | None
    batch: str
    level: str
    success: bool
    observed: Any
    expected: dict[str, Any]
    failing_rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def line(self) -> str:
        """`FAIL expect_x(column) observed=... expected=...`"""
        status = "ok  " if self.success else ("WARN" if self.level == WARNING else "FAIL")
        col = f"({self.column})" if self.column else ""
        text = (
            f"{status} {self.expectation}{col} on {self.batch}: "
            f"observed={_short(self.observed)} expected={_short(self.expected)}"
        )
        return text + (f" error={self.error}" if self.error else "")


@dataclass
class SuiteResult:
    """The outcome of one mart's suite."""

    mart: str
    suite_name: str
    outcomes: list[ExpectationOutcome]
    key_metrics: dict[str, float]
    row_count: int
    seconds: float
    missing_suite: bool = False
    notes: list[str] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.level == ERROR]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.level == WARNING]

    @property
    def passed(self) -> bool:
        return not self.missing_suite and not self.failed

    def summary(self) -> str:
        """One line: which expectations failed."""
        if self.missing_suite:
            return f"{self.suite_name}: no suite file for mart {self.mart} (no suite, no publish)"
        if self.failed:
            return f"{self.suite_name}: failed " + "; ".join(o.line() for o in self.failed)
        return f"{self.suite_name}: {len(self.outcomes)} expectations passed ({len(self.warnings)} warnings)"


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


_CONTEXT = None
# The one DataFrame asset every batch is validated through, with its one batch definition (the whole frame). Made with
# the context: GE writes its whole configuration out again (as YAML) for every asset or batch definition added, so an
# asset per mart and batch cost a fresh process about 1 s of the 4-5 s of a small warehouse's 35 suites
# (docs/quality.md, "What a gate costs"), and more with every mart.
_ASSET, _BATCH_DEFINITION = "frame", "whole"


def _gx_context():
    """One ephemeral GE context per process, without analytics or progress bars (logs stay readable)."""
    global _CONTEXT
    if _CONTEXT is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        context = gx.get_context(project_config=config, mode="ephemeral")
        asset = context.data_sources.add_pandas("pra_gate").add_dataframe_asset(_ASSET)
        asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION)
        _CONTEXT = context
    return _CONTEXT


def mart_columns_read(checks: Sequence[Check], columns: Sequence[str], batch: str = "mart") -> list[str]:
    """The mart's columns (in its order) that the checks on its own rows name: the `mart` batch (or `table`, below)
    reads only these, for a partner-period mart is millions of rows of up to 40 columns and its checks name a handful.
    Every column when a check on the mart is of a kind that names none but the row count, or has a `row_condition`
    (which may name any); the first alone when only the row count is checked (a frame with no column has no rows)."""
    import great_expectations.expectations as gxe

    named: set[str] = set()
    for check in checks:
        if check.batch != batch:
            continue
        expectation = check.expectation
        fields = [getattr(expectation, f, None) for f in ("column", "column_A", "column_B")]
        fields += list(getattr(expectation, "column_list", None) or [])
        if getattr(expectation, "row_condition", None) or (
            not any(fields) and not isinstance(expectation, gxe.ExpectTableRowCountToBeBetween)
        ):
            return list(columns)
        named.update(f for f in fields if f)
    return [c for c in columns if c in named] or list(columns[:1])


def checked_rows_filter(columns: Sequence[str], checked_from: date | None) -> str:
    """The SQL `where` of the rows a window run checks one by one, or "" (every row): the periods that end after
    `checked_from`, that is from the period holding it on. The same rows as the dbt tests' (macro
    get_where_subquery, docs/quality.md); a mart without its periods' bounds is checked whole."""
    if checked_from is None or not {"month_start_date", "next_month_start_date"} <= set(columns):
        return ""
    return f"where next_month_start_date > date '{checked_from.isoformat()}'"


def is_table_level(check: Check) -> bool:
    """A check on the table as a whole (its row count, its distinct values), not on each row by itself."""
    import great_expectations.expectations as gxe

    table_level = (gxe.ExpectTableRowCountToBeBetween, gxe.ExpectColumnUniqueValueCountToBeBetween)
    return isinstance(check.expectation, table_level)


def _validate(
    df, checks: Sequence[Check], batch_name: str, suite_name: str, whole: Callable[[], Any] | None = None
) -> list[ExpectationOutcome]:
    """Validate one DataFrame with GE and turn results into outcomes with a few failing rows (taken from `whole()`,
    every column of the batch, when `df` holds only the checked ones)."""
    batch_def = _gx_context().data_sources.get("pra_gate").get_asset(_ASSET).get_batch_definition(_BATCH_DEFINITION)
    batch = batch_def.get_batch(batch_parameters={"dataframe": df})
    try:
        return _outcomes(batch, df, checks, batch_name, f"{suite_name}.{batch_name}", whole)
    finally:
        # The execution engine caches every batch and its DataFrame for the life of the (per-process) context:
        # without this, every mart's frames stayed in memory until the process ended (GB on the large preset).
        batches = batch.data.execution_engine.batch_manager
        batches.batch_data_cache.pop(batch.id, None)
        batches.reset_batch_cache()


# How GE reports each expectation. Every check is first asked for its verdict alone (BOOLEAN_ONLY), except those
# whose observed value a person reads when they pass (an aggregate's value, a `mostly` check's unexpected rows): a
# check that failed is asked again for its observed value and unexpected rows (SUMMARY). GE builds fewer metrics for
# a verdict alone: on a small warehouse the suites took about 60 % of the time (docs/quality.md, "What a gate costs").
VERDICT = {"result_format": "BOOLEAN_ONLY"}
DETAIL = {"result_format": "SUMMARY", "partial_unexpected_count": 20}


def observed_when_passed(check: Check) -> dict[str, Any] | None:
    """What a passed check observed, known without asking GE: a map check (each row judged by itself) without
    `mostly` passes only when no row is unexpected. None for the checks whose observed value GE must give."""
    from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation

    expectation = check.expectation
    plain_map = isinstance(expectation, ColumnMapExpectation | ColumnPairMapExpectation)
    if not plain_map or getattr(expectation, "mostly", 1) not in (None, 1):
        return None
    return {"unexpected_count": 0, "sample": []}


def _outcomes(
    batch, df, checks: Sequence[Check], batch_name: str, suite_label: str, whole: Callable[[], Any] | None
) -> list[ExpectationOutcome]:
    """Validate the batch against the checks; one outcome per check, in the checks' order. `suite_label` names GE's
    suite (`<mart>__publish.<batch>`): every batch goes through the one GE asset, so the label says which it was."""
    known = [observed_when_passed(c) for c in checks]
    results = _results_by_check(batch, checks, [i for i, k in enumerate(known) if k is not None], VERDICT, suite_label)
    again = [i for i, r in results.items() if not r.success] + [i for i, k in enumerate(known) if k is None]
    results |= _results_by_check(batch, checks, sorted(again), DETAIL, suite_label)
    outcomes = []
    for i, check in enumerate(checks):
        r = results[i]
        cfg = r.expectation_config
        kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id", "column") and v is not None}
        res = r.result or {}
        observed = res.get("observed_value")
        if r.success and known[i] is not None:
            observed = known[i]
        elif observed is None and "unexpected_count" in res:
            observed = {
                "unexpected_count": res.get("unexpected_count"),
                "unexpected_percent": res.get("unexpected_percent"),
                "sample": res.get("partial_unexpected_list", [])[:FAILING_ROW_SAMPLE],
            }
            if res.get("partial_missing_list"):
                observed["missing"] = res["partial_missing_list"]
        if isinstance(res.get("details"), dict) and not r.success:
            observed = {"observed": observed, "details": res["details"]}
        column = cfg.kwargs.get("column")
        failing = []
        if not r.success and column and column in df.columns and res.get("partial_unexpected_list"):
            values = res["partial_unexpected_list"]
            rows = whole() if whole else df
            failing = rows[rows[column].isin(values)].head(FAILING_ROW_SAMPLE).to_dict("records")
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type,
                column=column,
                batch=batch_name,
                level=check.level,
                success=bool(r.success),
                observed=_jsonable(observed),
                expected=_jsonable(kwargs),
                failing_rows=_jsonable(failing),
                error=_exception_message(r.exception_info),
            )
        )
    return outcomes


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """Why GE could not evaluate a check (a missing column, a type it cannot compare), or None. GE 1.x gives the
    exception of each metric it could not compute, keyed by metric; one exception at the top level is read too."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    raised = [v for v in info.values() if isinstance(v, Mapping) and v.get("raised_exception")]
    messages = [str(v.get("exception_message")) for v in raised]
    return "; ".join(dict.fromkeys(messages)) or None


def _results_by_check(
    batch, checks: Sequence[Check], indexes: Sequence[int], result_format: Mapping[str, Any], name: str
) -> dict[int, Any]:
    """GE's result of each check `checks[i]` for i in `indexes`, validated together on the batch, by i."""
    import great_expectations as gx

    if not indexes:
        return {}
    # GE reorders results; an index in `meta` maps each one back to its check.
    tagged = [
        checks[i].expectation.copy(update={"meta": {**(checks[i].expectation.meta or {}), "pra_index": i}})
        for i in indexes
    ]
    result = batch.validate(gx.ExpectationSuite(name=name, expectations=tagged), result_format=dict(result_format))
    return {r.expectation_config.meta["pra_index"]: r for r in result.results}


def run_suite(
    con,
    mart: str,
    *,
    previous: Mapping[str, Any] | None = None,
    allow_volume_jump: bool = False,
    expectations_dir: Path = EXPECTATIONS_DIR,
    manifest_path: Path = MANIFEST_PATH,
    tolerance: float = DEFAULT_VOLUME_TOLERANCE,
    checked_from: date | None = None,
) -> SuiteResult:
    """Run `<mart>__publish` on an open (read-only) DuckDB connection to the work warehouse.

    `checked_from`: the first day of a window run's window (not a full refresh). The checks on single rows then read
    the periods from the one holding that day on, as the run's dbt tests do; the rest read the whole mart.
    """
    started = time.monotonic()
    suite_name = f"{mart}__publish"
    suite = load_suite(mart, expectations_dir)
    if suite is None:
        return SuiteResult(mart, suite_name, [], {}, 0, 0.0, missing_suite=True)
    ctx = SuiteContext(mart=mart, previous=previous, allow_volume_jump=allow_volume_jump, tolerance=tolerance)
    notes = []
    if previous is None:
        notes.append("first publication: no volume comparison")
    elif not suite.volume_checked:
        notes.append("no volume comparison: the suite sets VOLUME_CHECKED = False")
    elif allow_volume_jump:
        notes.append("volume comparison skipped: allow_volume_jump override")
    models = DbtModels.load(manifest_path)
    frames = {}
    try:
        rel = models.relation(mart)
        columns = [row[0] for row in con.execute(f"describe {rel}").fetchall()]
        (row_count,) = con.execute(f"select count(*) from {rel}").fetchone()
    except Exception as exc:  # a missing mart is a failed gate, not a crash
        outcome = ExpectationOutcome("mart_exists", None, "mart", ERROR, False, str(exc), {"model": mart})
        return SuiteResult(mart, suite_name, [outcome], {}, 0, time.monotonic() - started, notes=notes)
    checks = [
        *generated_checks(models, mart, columns, empty=row_count == 0),
        *suite.checks,
        *(ctx.volume_checks(suite.key_metrics) if suite.volume_checked else []),
    ]
    scope = checked_rows_filter(columns, checked_from)
    checked = f"(select * from {rel} {scope})" if scope else rel  # the rows checked one by one
    if scope:
        # A window run: each row is checked in the periods it could have changed, the table as a whole on every row.
        checks = [replace(c, batch="table") if c.batch == "mart" and is_table_level(c) else c for c in checks]
        if any(c.batch == "table" for c in checks):
            read = ", ".join(f'"{c}"' for c in mart_columns_read(checks, columns, batch="table"))
            frames["table"] = con.execute(f"select {read} from {rel}").df()
    read = ", ".join(f'"{c}"' for c in mart_columns_read(checks, columns))
    frames["mart"] = con.execute(f"select {read} from {checked}").df()
    if scope:
        period = f"in the periods from {checked_from} on"
        notes.append(f"rows checked one by one: the {len(frames['mart']):,} of {row_count:,} {period}")
    whole = functools.cache(lambda: con.execute(f"select * from {checked}").df())  # for failing rows only
    key_metrics: dict[str, float] = {}
    if suite.key_metrics:
        select = ", ".join(f"cast({sql} as double) as {name}" for name, sql in suite.key_metrics.items())
        frames["key_metrics"] = con.execute(f"select {select} from {rel}").df()
        key_metrics = {k: _jsonable(v) for k, v in frames["key_metrics"].iloc[0].to_dict().items()}
    batches = {**suite.batches, **{c.batch: c.sql for c in checks if c.sql}}
    refs = _UpstreamRefs(models, mart)
    for name, sql in batches.items():
        frames[name] = con.execute(sql.format(mart=rel, ref=refs, checked=checked)).df()
    outcomes: list[ExpectationOutcome] = []
    by_batch: dict[str, list[Check]] = {}
    for check in checks:
        by_batch.setdefault(check.batch, []).append(check)
    for batch_name, batch_checks in by_batch.items():
        if batch_name not in frames:
            raise ValueError(f"{suite.path.name}: expectation on unknown batch {batch_name!r}")
        outcomes.extend(
            _validate(frames[batch_name], batch_checks, batch_name, suite_name, whole if batch_name == "mart" else None)
        )
    return SuiteResult(mart, suite_name, outcomes, key_metrics, row_count, time.monotonic() - started, notes=notes)


def write_report(results: Sequence[SuiteResult], out_dir: Path, title: str) -> Path:
    """An HTML report (our Data Docs equivalent) plus JSON per suite; returns the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><meta charset='utf-8'><title>" + html.escape(title) + "</title>",
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:3px;vertical-align:top;"
        "font-size:13px}.FAIL{background:#fdd}.WARN{background:#ffd}.ok{background:#dfd}</style>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for res in results:
        state = "passed" if res.passed else "FAILED"
        parts.append(f"<h2 id='{res.suite_name}'>{res.suite_name}: {state}</h2>")
        parts.append(f"<p>{res.row_count} rows, {res.seconds:.2f}s. {html.escape(' '.join(res.notes))}</p>")
        if res.missing_suite:
            parts.append(f"<p class='FAIL'>{html.escape(res.summary())}</p>")
        parts.append(
            "<table><tr><th>status</th><th>level</th><th>expectation</th><th>column</th><th>batch</th>"
            "<th>observed</th><th>expected</th><th>failing rows</th></tr>"
        )
        for o in res.outcomes:
            status = "ok" if o.success else ("WARN" if o.level == WARNING else "FAIL")
            rows = "<br>".join(html.escape(_short(r, 400)) for r in o.failing_rows)
            parts.append(
                f"<tr class='{status}'><td>{status}</td><td>{o.level}</td><td>{o.expectation}</td>"
                f"<td>{html.escape(o.column or '')}</td><td>{o.batch}</td>"
                f"<td>{html.escape(_short(o.observed, 600))}{html.escape(' ' + o.error if o.error else '')}</td>"
                f"<td>{html.escape(_short(o.expected, 600))}</td><td>{rows}</td></tr>"
            )
        parts.append("</table>")
        (out_dir / f"{res.suite_name}.json").write_text(json.dumps(result_dict(res), indent=2, default=str))
    path = out_dir / "index.html"
    path.write_text("\n".join(parts))
    return path


def result_dict(res: SuiteResult) -> dict[str, Any]:
    """A JSON-friendly view of one suite result."""
    return {
        "suite": res.suite_name,
        "mart": res.mart,
        "passed": res.passed,
        "missing_suite": res.missing_suite,
        "row_count": res.row_count,
        "key_metrics": res.key_metrics,
        "seconds": round(res.seconds, 3),
        "notes": res.notes,
        "outcomes": [o.__dict__ for o in res.outcomes],
    }
