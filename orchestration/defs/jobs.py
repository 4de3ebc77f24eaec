"""Jobs and schedules."""

import dagster as dg

from orchestration.defs.partitions import daily_partitions
from orchestration.lib.operations import FULL_REFRESH_TAG
from orchestration.lib.windows import nightly_window, range_tags

partner_retention_nightly_job = dg.define_asset_job(
    name="partner_retention_nightly_job",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Load the recent landing partitions, rebuild the marts, gate and publish them.",
    # A run that hangs (e.g. a stuck file system) is failed by run monitoring after two hours.
    tags={"dagster/max_runtime": 7200},
)


def build_nightly_schedule(cron: str, timezone: str, lookback_days: int) -> dg.ScheduleDefinition:
    """Nightly run: yesterday's partition plus `lookback_days - 1` earlier days, as one run."""

    @dg.schedule(
        name="partner_retention_nightly_schedule",
        job=partner_retention_nightly_job,
        cron_schedule=cron,
        execution_timezone=timezone,
    )
    def partner_retention_nightly_schedule(context: dg.ScheduleEvaluationContext):
        run_date = context.scheduled_execution_time.date()
        first, last = nightly_window(run_date, lookback_days, daily_partitions.start.date())
        return dg.RunRequest(run_key=f"nightly-{run_date.isoformat()}", tags=range_tags(first, last))

    return partner_retention_nightly_schedule


def build_weekly_full_rebuild_schedule(cron: str, timezone: str, lookback_days: int) -> dg.ScheduleDefinition:
    """Weekly run: the nightly window, but every incremental dbt model rebuilt from all raw history."""

    @dg.schedule(
        name="partner_retention_weekly_full_rebuild_schedule",
        job=partner_retention_nightly_job,
        cron_schedule=cron,
        execution_timezone=timezone,
        description="Resets any drift of the incremental models (e.g. fx rates restated outside the look-back).",
    )
    def partner_retention_weekly_full_rebuild_schedule(context: dg.ScheduleEvaluationContext):
        run_date = context.scheduled_execution_time.date()
        first, last = nightly_window(run_date, lookback_days, daily_partitions.start.date())
        return dg.RunRequest(
            run_key=f"full-rebuild-{run_date.isoformat()}",
            tags={**range_tags(first, last), FULL_REFRESH_TAG: "true"},
        )

    return partner_retention_weekly_full_rebuild_schedule
