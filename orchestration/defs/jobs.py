"""The job, its schedules, and the run config that carries per-run options."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from orchestration.lib.windows import nightly_window, range_tags

NIGHTLY_JOB = "partner_retention_nightly_job"
# The nightly job plus the predictive fit: what the weekly schedule runs, and `pra demo` (docs/operations.md).
WEEKLY_JOB = "partner_retention_weekly_job"
# Op names the per-run options configure: the ingestion and dbt multi-assets and the publish-gate checks. In the
# weekly job Dagster runs the dbt op as two steps around the predictive fit (`dbt_models`, `dbt_models_2`); an option
# goes to every step of its op (`run_options`).
INGEST_STEP = "ingest_landing_files"
DBT_STEP = "dbt_models"
GATES_STEP = "publish_gates"
# Two gate ops (orchestration/defs/quality/checks.py): the marts, then those reading the predictive scores.
GATES_STEPS = (GATES_STEP, "publish_gates_predictive")


class IngestConfig(dg.Config):
    """Per-run options of the ingestion step."""

    accept_mass_change: bool = Field(
        default=False,
        description="accept the days that fail the volume checks (a real mass change) and remember them as accepted",
    )


class DbtBuildConfig(dg.Config):
    """Per-run options of the dbt step."""

    full_refresh: bool = Field(
        default=False, description="`dbt build --full-refresh`: rebuild every incremental model from all raw history"
    )


class GateConfig(dg.Config):
    """Per-run options of the publish gates."""

    allow_volume_jump: bool = Field(
        default=False, description="skip the volume comparison with the live version (an intended restatement)"
    )


def run_options(
    job: dg.JobDefinition | None = None,
    *,
    full_refresh: bool = False,
    allow_volume_jump: bool = False,
    accept_mass_change: bool = False,
) -> dict:
    """Run config for the per-run options of `job`: only options that are on, so any asset selection accepts it, each
    for every step of its op in the job (the weekly job has two dbt steps); without `job`, for the op's step of the
    same name."""
    ops: dict[str, dict] = {}
    for on, op_names, config in (
        (accept_mass_change, [INGEST_STEP], {"accept_mass_change": True}),
        (full_refresh, [DBT_STEP], {"full_refresh": True}),
        (allow_volume_jump, GATES_STEPS, {"allow_volume_jump": True}),
    ):
        if on:
            ops.update({step: {"config": config} for op in op_names for step in (steps_of(job, op) if job else [op])})
    return {"ops": ops} if ops else {}


def steps_of(job: dg.JobDefinition, op: str) -> list[str]:
    """The steps of `job` that run the op `op`: one, or two for the weekly job's dbt models (`dbt_models_2`)."""
    return [node.name for node in job.graph.nodes if node.definition.name == op]


def step_keys(job: dg.JobDefinition) -> dict[str, set[dg.AssetKey | dg.AssetCheckKey]]:
    """The assets and checks each step of `job` materializes or evaluates, by step name (`dbt_models_2`: the weekly
    job's second dbt step)."""
    from dagster._core.definitions.dependency import NodeHandle  # Dagster has no public way from a step to its keys

    layer = job.asset_layer
    return {
        node.name: set(layer.get_selected_entity_keys_for_node(NodeHandle(node.name, None))) for node in job.graph.nodes
    }


def build_jobs(
    partitions: dg.PartitionsDefinition, fit: dg.AssetsDefinition
) -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    """The nightly job (every asset but the predictive fit) and the weekly job (every asset), over daily partitions.

    The fit is weekly: a nightly run rebuilds the models that read its scores from the last fit, without fitting.
    """
    # A run that hangs (e.g. a stuck file system) is failed by run monitoring after two hours.
    tags = {"dagster/max_runtime": 7200}
    nightly = dg.define_asset_job(
        name=NIGHTLY_JOB,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(fit),
        partitions_def=partitions,
        description="Load the recent landing partitions, rebuild the marts, gate and publish them.",
        tags=tags,
    )
    weekly = dg.define_asset_job(
        name=WEEKLY_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description="The nightly work plus the predictive fit (P(alive), predictive LTV) between the dbt models it "
        "reads and those that read its scores.",
        tags=tags,
    )
    return nightly, weekly


def build_nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition, cron: str, timezone: str, lookback_days: int
) -> dg.ScheduleDefinition:
    """Nightly run: yesterday's partition plus `lookback_days - 1` earlier days, as one run."""
    start = job.partitions_def.start.date()

    @dg.schedule(name="partner_retention_nightly_schedule", job=job, cron_schedule=cron, execution_timezone=timezone)
    def partner_retention_nightly_schedule(context: dg.ScheduleEvaluationContext):
        run_date = context.scheduled_execution_time.date()
        first, last = nightly_window(run_date, lookback_days, start)
        return dg.RunRequest(run_key=f"nightly-{run_date.isoformat()}", tags=range_tags(first, last))

    return partner_retention_nightly_schedule


def build_weekly_full_rebuild_schedule(
    job: dg.UnresolvedAssetJobDefinition, cron: str, timezone: str, lookback_days: int
) -> dg.ScheduleDefinition:
    """Weekly run of the weekly job: the nightly window, every incremental dbt model rebuilt from all raw history, and
    the predictive fit."""
    start = job.partitions_def.start.date()

    @dg.schedule(
        name="partner_retention_weekly_full_rebuild_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=timezone,
        description="Refits the predictive models and resets any drift of the incremental models (e.g. fx rates "
        "restated outside the look-back).",
    )
    def partner_retention_weekly_full_rebuild_schedule(context: dg.ScheduleEvaluationContext):
        run_date = context.scheduled_execution_time.date()
        first, last = nightly_window(run_date, lookback_days, start)
        return dg.RunRequest(
            run_key=f"full-rebuild-{run_date.isoformat()}",
            tags=range_tags(first, last),
            # Both dbt steps of the weekly job test every row; the job as the code location resolved it says which.
            run_config=run_options(context.repository_def.get_job(job.name), full_refresh=True),
        )

    return partner_retention_weekly_full_rebuild_schedule
