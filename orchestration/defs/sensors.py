"""Sensors: late landing files for past partitions, and the freshness check of every daily source."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.jobs import NIGHTLY_JOB
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.contract import ENTITIES
from orchestration.lib.late_data import (
    decode_cursor,
    encode_cursor,
    find_late_data,
    hours_overdue,
    newest_partition,
    scan_landing,
)
from orchestration.lib.operations import LATE_FILES_TAG
from orchestration.lib.settings import Settings
from orchestration.lib.windows import range_tags


@dg.sensor(
    name="partner_retention_late_data_sensor",
    job_name=NIGHTLY_JOB,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reprocesses partitions older than yesterday whose landing files are new, changed or removed.",
)
def partner_retention_late_data_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """One run over the changed days (min..max), keyed by the change set so an arrival runs once."""
    settings = warehouse.settings
    current = scan_landing(settings.landing_dir)
    previous = decode_cursor(context.cursor)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    late = find_late_data(previous, current, today)
    context.update_cursor(encode_cursor(current))
    if previous is None:
        return dg.SkipReason(f"baseline: {len(current)} landing files recorded; later changes will be reprocessed")
    if late is None:
        return dg.SkipReason("no late landing files")
    shown = ", ".join(late.files[:10]) + (f" and {len(late.files) - 10} more" if len(late.files) > 10 else "")
    context.log.info(f"late landing files for {late.first_day}..{late.last_day}: {shown}")
    return dg.RunRequest(
        run_key=late.run_key,
        tags={**range_tags(late.first_day, late.last_day), LATE_FILES_TAG: shown[:1000]},
    )


# The daily landing entities (not snapshot or occasional ones: they skip days), each with a freshness check.
FRESHNESS_ENTITIES = tuple(
    name for name, entity in sorted(ENTITIES.items()) if not entity.snapshot and not entity.occasional
)
FRESHNESS_CHECK = "landing_is_fresh"


def freshness_result(asset_key: dg.AssetKey, settings: Settings) -> dg.AssetCheckResult:
    """Newest `dt=` folder of the landing entity (the raw table `asset_key`) against the delivery deadline, now."""
    entity = asset_key.path[-1]
    deadline = settings.freshness_hours
    newest = newest_partition(settings.landing_dir, entity)
    now = datetime.now(ZoneInfo(settings.timezone))
    overdue = hours_overdue(newest, now, settings.timezone, deadline)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=FRESHNESS_CHECK,
        passed=overdue is None,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if overdue is None else f"{entity}: next partition after {newest} is "
        f"{overdue:.1f} h past its {deadline:g} h deadline",
        metadata={
            "newest_partition": str(newest),
            "deadline_hours": deadline,
            "hours_overdue": round(overdue, 1) if overdue not in (None, float("inf")) else str(overdue),
        },
    )


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    """A freshness check `landing_is_fresh` on each daily landing entity's raw table, all in one step: a run
    through the daemon starts a process per step (a few seconds each), where these checks take milliseconds."""

    @dg.multi_asset_check(
        name="landing_freshness",
        specs=[
            dg.AssetCheckSpec(
                name=FRESHNESS_CHECK,
                asset=dg.AssetKey(["raw", entity]),
                description=f"WARN when `{entity}` has not delivered its next daily partition by the deadline "
                "(PRA_FRESHNESS_HOURS after the newest landed day ends, default 30).",
            )
            for entity in FRESHNESS_ENTITIES
        ],
        can_subset=True,
    )
    def landing_freshness(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        """The selected entities' freshness checks."""
        settings = warehouse.settings
        for key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path):
            yield freshness_result(key.asset_key, settings)

    return [landing_freshness]
