"""Ingestion: one raw.<entity> table per landing entity, loaded a daily-partition window at a time."""


import dagster as dg

from orchestration.defs.jobs import INGEST_STEP, IngestConfig
from orchestration.defs.resources import OWNERS, WAREHOUSE_POOL, WarehouseResource
from orchestration.lib.contract import ENTITIES
from orchestration.lib.ingestion import LandingError, load_window
from orchestration.lib.volume import Verdict, VolumeRules, check_name, judge_entity


def raw_specs() -> list[dg.AssetSpec]:
    """One asset per landing entity of the contract (read when the definitions are built, not at import)."""
    return [
        dg.AssetSpec(
            key=["raw", entity.name],
            group_name="ingestion",
            description=f"Landing files of `{entity.name}` as text, with source file and row "
            f"({'required' if entity.required else 'optional'}; see docs/data-contract.md).",
            kinds={"duckdb"},
            owners=OWNERS,
            skippable=True,
        )
        for entity in ENTITIES.values()
    ]


def volume_check_specs() -> list[dg.AssetCheckSpec]:
    """One blocking volume check per raw table that has a volume rule (orchestration/lib/volume.py)."""
    return [
        dg.AssetCheckSpec(
            check_name(entity),
            asset=dg.AssetKey(["raw", entity.name]),
            blocking=True,
            description=(
                "Broken-export guard: each snapshot from the run's first day on against the previous snapshot"
                if entity.snapshot
                else "Broken-export guard: each day from the run's first day on against the median of its recent days"
            )
            + " (thresholds: PRA_VOLUME_*; override: pra run --accept-mass-change).",
        )
        for entity in ENTITIES.values()
        if check_name(entity)
    ]


def _volume_result(key: dg.AssetKey, name: str, verdict: Verdict) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=verdict.description(),
        metadata={
            "judged_days": verdict.judged_days,
            "failed": dg.MetadataValue.json([f.message for f in verdict.failed]),
            "accepted": dg.MetadataValue.json([f.message for f in verdict.accepted]),
        },
    )


# The op's name matters for run bookkeeping (docs/benchmarks.md, "Dagster bookkeeping"): Dagster 1.13 takes a
# run's partition subset from the partitions of the asset of the LAST step by step-key order, and then plans
# every asset check of the run once per partition (150 checks x 1,096 days = 164k rows before a history load
# starts). With this step sorting before `published_marts` (unpartitioned), the run carries only its range
# tags, the raw assets still get their partitions from them, and each check is planned once.
# tests/integration/test_run_bookkeeping.py guards it.
def build_ingestion_assets(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The raw tables as one multi-asset over the daily partitions (their start is a setting)."""

    @dg.multi_asset(
        name=INGEST_STEP,
        specs=raw_specs(),
        check_specs=volume_check_specs(),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
        pool=WAREHOUSE_POOL,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
    )
    def ingest_landing_files(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource):
        """Replace each selected raw table's rows for the run's partition window; judge their volume (blocking)."""
        window = context.partition_time_window
        start, end = window.start.date(), window.end.date()
        landing = warehouse.landing_path
        rules = VolumeRules.from_settings(warehouse.settings)
        selected_checks = set(context.selected_asset_check_keys)
        with warehouse.connect() as con:
            for key in sorted(context.selected_asset_keys, key=lambda k: k.path[-1]):
                entity = ENTITIES[key.path[-1]]
                try:
                    result = load_window(con, entity, landing, start, end, warehouse.settings.on_bad_lines)
                except LandingError as exc:
                    # Bad input is not transient: fail once, with the file/field in the message.
                    raise dg.Failure(description=str(exc), allow_retries=False) from exc
                context.log.info(
                    f"raw.{entity.name}: {result.rows_loaded} rows from {result.files} files for [{start}, {end})"
                    + (f", {result.rows_unreadable} unreadable line(s) quarantined" if result.rows_unreadable else "")
                    + (f"; {result.days_unchanged} unchanged day(s) kept" if result.days_unchanged else "")
                )
                for warning in result.warnings:
                    context.log.warning(f"raw.{entity.name}: {warning}")
                name = check_name(entity)
                checks = []
                if name and dg.AssetCheckKey(key, name) in selected_checks:
                    verdict = judge_entity(
                        con, entity, landing, start, end, rules, accept=config.accept_mass_change, run_id=context.run_id
                    )
                    if verdict.accepted and config.accept_mass_change:
                        context.log.warning(f"raw.{entity.name}: mass change accepted: {verdict.description()}")
                    checks.append(_volume_result(key, name, verdict))
                yield dg.MaterializeResult(
                    asset_key=key,
                    check_results=checks,
                    metadata={
                        "rows_loaded": result.rows_loaded,
                        "rows_replaced": result.rows_replaced,
                        "files": result.files,
                        "rows_unreadable": result.rows_unreadable,
                        "warnings": "\n".join(result.warnings),
                        "days_with_data": result.days_present,
                        "days_without_folder": len(result.days_missing),
                        "days_unchanged": result.days_unchanged,
                        "window_start": start.isoformat(),
                        "window_end_exclusive": end.isoformat(),
                    },
                )

    return ingest_landing_files
