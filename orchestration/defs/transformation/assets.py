"""Transformation: every dbt model as a Dagster asset.

The models are not partitioned: marts describe the whole history as of the newest loaded day. A run that
loads a partition window passes that window to dbt (incremental models and as_of_date use it; dbt_args.py).
"""

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.jobs import DbtBuildConfig
from orchestration.defs.resources import OWNERS, WAREHOUSE_POOL, WarehouseResource, dbt_project
from orchestration.lib.build_start import (
    BuildStart,
    build_signature,
    build_start,
    first_rejudged_day,
    record_build,
)
from orchestration.lib.contract import SOURCE_NAME
from orchestration.lib.dbt_args import dbt_build_args, environment, run_args, window_env
from orchestration.lib.engines import engine_for, relations_to_pull
from orchestration.lib.gx_runner import DbtModels, is_published
from orchestration.lib.ingestion import latest_loaded_window
from orchestration.lib.operations import effective_as_of
from orchestration.lib.rejudge import pending_rejudgements, windowed_judged_relations
from orchestration.lib.tables import table_exists
from orchestration.lib.windows import checked_from_tags, window_from_tags

# Asset tag on every published mart; dbt says which models are published (`+meta: {pra: {published: true}}` on
# the marts folder in dbt_project.yml) and the gates and the publication read it from the asset specs.
PUBLISHED_TAG = "pra/published"
# The dbt source of the predictive fit's tables (models/staging/predictive): the models downstream of it run after the
# fit in the weekly job.
PREDICTIVE_SOURCE = "predictive"


class ProjectTranslator(DagsterDbtTranslator):
    """dbt models as assets: grouped by folder, published marts tagged, described by their YAML, not their SQL."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The folder under models/ (staging, intermediate, marts)."""
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        """dbt tags, plus `pra/published=true` on the models dbt marks as published."""
        tags = dict(super().get_tags(dbt_resource_props))
        if is_published(dbt_resource_props):
            tags[PUBLISHED_TAG] = "true"
        return tags

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """The model's own `meta.dagster.owners`, else the pipeline's team."""
        return super().get_owners(dbt_resource_props) or OWNERS

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The YAML description, else the SQL file's leading `--` comment, else the model's name; never raw SQL."""
        description = (dbt_resource_props.get("description") or "").strip()
        if description:
            return description
        comment = []
        for line in (dbt_resource_props.get("raw_code") or "").splitlines():
            if not line.startswith("--"):
                break
            comment.append(line.removeprefix("--").strip())
        kind = dbt_resource_props.get("resource_type", "node")
        return " ".join(comment) or f"dbt {kind} {dbt_resource_props['name']}"


def published_mart_keys(dbt_models: Sequence[dg.AssetsDefinition]) -> dict[str, dg.AssetKey]:
    """The published marts of the dbt assets (tagged by the translator) and their asset keys, by model name."""
    return {
        spec.key.path[-1]: spec.key
        for assets in dbt_models
        for spec in assets.specs
        if spec.tags.get(PUBLISHED_TAG) == "true"
    }


def reads_predictive_scores(models: DbtModels, model: str) -> bool:
    """Whether the model or one it depends on reads the predictive fit's tables (dbt source `predictive`)."""
    return any(models.reads_source(name, PREDICTIVE_SOURCE) for name in models.upstream(model) | {model})


def _missing_predictive_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The predictive fit's tables the work file does not have yet (a fresh warehouse)."""
    from orchestration.lib import predictive

    return [t for t in (predictive.FIT_RUNS_TABLE, predictive.SCORES_TABLE) if not table_exists(con, *t.split("."))]


def _create_predictive_tables(dbt: DbtCliResource, settings) -> None:
    """The predictive fit's tables in the work DuckDB file, created empty before the first push to an engine.

    On DuckDB dbt's on-run-start hook creates them where the fit writes; with another engine the hook runs there, so
    on a fresh warehouse the same macro (the one home of their columns) runs once on the work file by itself
    (`dbt run-operation ensure_predictive_tables --target duckdb`).
    """
    args = ["run-operation", "ensure_predictive_tables", *run_args(settings.dbt_vars(), "duckdb")]
    with environment(settings.dbt_env()):
        dbt.cli(args, target_path=settings.dbt_target_dir / "work_file").wait()


def _log_transfer(context: dg.AssetExecutionContext, what: str, counts: Mapping[str, int], started: float) -> None:
    """One log line for a push to or a pull from an engine: tables, rows, seconds, and rows per table."""
    context.log.info(
        f"{what} {len(counts)} tables, {sum(counts.values()):,} rows in {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{t} {n:,}" for t, n in counts.items())
    )


def _every_result(context: dg.AssetExecutionContext, events: Iterable) -> Iterator:
    """The events dagster-dbt streams from dbt, then a failure if a selected model or test got no result.

    dagster-dbt reads dbt's results from its output lines; a line it cannot parse is logged and its result lost. The
    model would then count as not materialized and every step downstream of it be skipped, in a run that ends
    SUCCESS with nothing published. A lost result fails the step instead, naming what is missing.
    """
    models, checks = set(), set()
    for event in events:
        if isinstance(event, dg.Output):
            models.add(context.asset_key_for_output(event.output_name))
        elif isinstance(event, dg.AssetCheckResult):
            checks.add(dg.AssetCheckKey(event.asset_key, event.check_name))
        yield event
    missing = sorted(key.to_user_string() for key in context.selected_asset_keys - models)
    missing += sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in context.selected_asset_check_keys - checks)
    if missing:
        raise dg.Failure(
            f"dbt finished, but Dagster received no result for {len(missing)} of the selected models and tests: "
            + ", ".join(missing[:20])
            + (" ..." if len(missing) > 20 else "")
            + ". dbt's own log has them; an output line dagster-dbt could not parse is in this step's log."
        )


def _dbt_build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, full_refresh: bool
) -> Iterator:
    """`dbt build` of the step's selected models for the run's window (or the latest loaded one) as of the newest
    loaded day; the events dagster-dbt streams from it.

    Rebuilds the selected judged incremental models from all history when quarantined rows outside the window can now
    be staged. With an engine other than DuckDB (PRA_ENGINE), the work file's schemas the step reads go to it first
    (the raw tables and the predictive fit's; only the fit's for a step of the models reading its scores alone), and
    the models the Python side reads come back after dbt (orchestration/lib/engines).
    """
    window = window_from_tags(context.run.tags)
    settings = warehouse.settings
    engine = engine_for(settings)
    models = DbtModels.load()
    selected = {key.path[-1] for key in context.selected_asset_keys}
    with warehouse.connect(read_only=True) as con:
        latest = latest_loaded_window(con)
        judged = (
            windowed_judged_relations({name: node for name, node in models.nodes.items() if name in selected})
            if window and not full_refresh
            else {}
        )
        pending = pending_rejudgements(con, *window, judged) if judged else {}
        missing_predictive = _missing_predictive_tables(con) if engine else []
        window = window or latest
        as_of = effective_as_of(window[1], latest[0])
        # Rows quarantined outside the window that its snapshots or fx rates can now stage (a split backfill):
        # rebuild the judged incremental models from all history rather than leave them quarantined.
        full_refresh = full_refresh or bool(pending)
        signature = build_signature(settings.dbt_vars())
        # On DuckDB, a window run rebuilds from the first day that may differ from what was published.
        start = (
            build_start(con, *window, as_of, signature, models)
            if judged and not full_refresh and not engine
            else BuildStart(window[0])
        )
        # The rows of newcomer partners that landed before the window are judged again too: tested and gated as well.
        rejudged = None if full_refresh else first_rejudged_day(con, start.day, window[1], models)
    checked = min(start.day, rejudged) if rejudged else start.day
    if pending:
        context.log.info(
            "re-judging quarantined rows outside the window ("
            + ", ".join(f"{n} {reason}" for reason, n in pending.items())
            + "): incremental models rebuilt from all history"
        )
    if start.why:
        context.log.info(f"dbt starts at {start.day}, not at the window's first day: {start.why}")
    if checked < start.day:
        context.log.info(
            f"its data tests and gates read the periods from {checked} on: rows of partners whose first snapshot the "
            "window brings landed from that day on and are judged again"
        )
    window = (start.day, window[1])
    context.log.info(
        f"dbt build for the window [{window[0]}, {window[1]}) as of {as_of}"
        + (" with --full-refresh" if full_refresh else "")
    )
    # Until a publication covers it, the build marks its days as never gated (lib/build_start.py).
    with warehouse.connect() as con:
        record_build(con, context.run_id, None if full_refresh else window[0], window[1], signature)
    # The profile's warehouse path and memory limit travel as environment variables (Settings.dbt_env), like the
    # window; the --vars are the same for every warehouse. dbt's target folder is the warehouse's own, so its
    # parsed project (partial_parse.msgpack) is kept from one run and step to the next (lib/dbt_args.py), and a new
    # warehouse starts from the project's (lib/dbt_command.py).
    if engine:
        if missing_predictive:
            _create_predictive_tables(dbt, settings)
        reads_raw = any(models.reads_source(name, SOURCE_NAME) for name in selected)
        pushed = ("raw", "predictive") if reads_raw else ("predictive",)
        started = time.monotonic()
        _log_transfer(context, f"pushed to {engine.name}:", engine.push(settings.work_db, pushed), started)
    args = dbt_build_args(full_refresh=full_refresh, project_vars=settings.dbt_vars(), target=settings.engine)
    # The rows its data tests read (macro get_where_subquery), for the publish gates to read the same. Tagged by
    # step: in the weekly job the dbt models run as two steps (`dbt_models`, `dbt_models_2`).
    step = context.op_handle.name
    context.instance.add_run_tags(context.run_id, checked_from_tags(step, checked, full_refresh))
    engine_env = {**settings.dbt_env(), **(engine.dbt_env() if engine else {})}
    with environment({**window_env(*window, as_of=as_of, checked_from=checked), **engine_env}):
        invocation = dbt.cli(args, context=context, target_path=settings.dbt_target_dir)
    yield from _every_result(context, invocation.stream())
    if engine:
        relations = relations_to_pull(models, selected)
        started = time.monotonic()
        _log_transfer(context, f"pulled from {engine.name}:", engine.pull(settings.work_db, relations), started)


def build_dbt_assets() -> list[dg.AssetsDefinition]:
    """Every dbt model as one multi-asset, `dbt_models`: one dbt step in the nightly job. In the weekly job the
    predictive fit reads one of its models and others read the fit's scores (dbt source `predictive`), so Dagster
    runs the multi-asset as two steps around the fit, `dbt_models` and `dbt_models_2`: dbt -> fit -> dbt -> gates ->
    publish. Reads the manifest built by `pra manifest`."""
    project = dbt_project()
    translator = ProjectTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
    )
    def dbt_models(
        context: dg.AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """`dbt build` of the selected models and their tests for the run's window."""
        yield from _dbt_build(context, dbt, warehouse, config.full_refresh)

    return [dbt_models]
