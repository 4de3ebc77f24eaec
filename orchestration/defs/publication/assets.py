"""Publication (write-audit-publish): the audited marts as a new published version, swapped in atomically."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.defs.quality.checks import gate_check_name
from orchestration.defs.resources import OWNERS, WAREHOUSE_POOL, PostgresPublishResource, WarehouseResource
from orchestration.defs.transformation.assets import published_mart_keys
from orchestration.lib.build_start import record_publication
from orchestration.lib.publish import DB_NAME, PublishSettings, live_version_db, publish
from orchestration.lib.publish_postgres import PostgresPublishError, PostgresTarget, publish_version
from orchestration.lib.report import build_report
from orchestration.lib.restricted import export_at_risk_list


def _check_results(context: dg.AssetExecutionContext) -> list[dict]:
    """Every asset check evaluated in this run (GE gates and dbt tests), as plain dicts."""
    records = context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    out = []
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        out.append(
            {
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": bool(evaluation.passed),
                "severity": evaluation.severity.value,
            }
        )
    return sorted(out, key=lambda r: (r["asset"], r["check"]))


def _write_report(
    context: dg.AssetExecutionContext, stable_db: Path, report_dir: Path, memory_limit: str
) -> dict[str, Any]:
    """Regenerate the KPI report from the version just published; its path and cost as metadata.

    The publish has already happened: a report that cannot be drawn is logged as an error and reported in the
    metadata, never turned into a failed publication.
    """
    try:
        files = build_report(stable_db, report_dir, memory_limit=memory_limit)
    except Exception as exc:  # noqa: BLE001 (any drawing bug must not undo a completed publish)
        context.log.error(f"KPI report not regenerated: {exc!r}")
        return {"report_error": dg.MetadataValue.text(repr(exc))}
    context.log.info(f"KPI report: {files.index} ({files.partner_count} partner scorecards, {files.seconds} s)")
    return {
        "report": dg.MetadataValue.path(str(files.index)),
        "scorecards": dg.MetadataValue.path(str(files.scorecard)),
        "report_seconds": dg.MetadataValue.float(files.seconds),
    }


def _publish_postgres(
    context: dg.AssetExecutionContext, target: PostgresTarget, entry: dict[str, Any], settings: PublishSettings
) -> tuple[dict[str, Any], str | None]:
    """Publish the version just published as DuckDB to PostgreSQL too: (metadata, None) or ({}, why it failed).

    Never raises: the caller fails the step after recording the DuckDB version, which stays published.
    """
    try:
        done = publish_version(
            target, entry, Path(entry["version_dir"]) / DB_NAME, settings.work_db, memory_limit=settings.memory_limit
        )
    except PostgresPublishError as exc:
        return {}, str(exc)
    context.log.info(
        f"PostgreSQL {done['target']}: version {done['version']} live in schema marts (loaded in "
        f"{done['load_seconds']} s, views swapped in {done['swap_ms']} ms); pruned {done['pruned_versions']}"
    )
    return {
        "postgres_target": dg.MetadataValue.text(done["target"]),
        "postgres_schema": dg.MetadataValue.text(done["schema"]),
        "postgres_load_seconds": dg.MetadataValue.float(done["load_seconds"]),
        "postgres_swap_ms": dg.MetadataValue.float(done["swap_ms"]),
        "postgres_pruned_versions": dg.MetadataValue.json(done["pruned_versions"]),
    }, None


def blocking_failures(results: list[dict], gates: list[tuple[str, str]]) -> list[str]:
    """Checks that forbid publication: any failed ERROR check, and any (asset, gate check) that did not run."""
    failed = [f"{r['asset']}:{r['check']}" for r in results if not r["passed"] and r["severity"] == "ERROR"]
    ran = {(r["asset"], r["check"]) for r in results}
    missing = [f"{asset}:{check} (did not run)" for asset, check in gates if (asset, check) not in ran]
    return failed + missing


def build_publication_asset(dbt_models: Sequence[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """`published_marts`, downstream of every published mart and therefore of their blocking checks."""
    keys = published_mart_keys(dbt_models)
    marts = sorted(keys)
    gates = [(keys[m].to_user_string(), gate_check_name(m)) for m in marts]

    @dg.asset(
        name="published_marts",
        group_name="publication",
        deps=[keys[m] for m in marts],
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "parquet"},
        owners=OWNERS,
    )
    def published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, publish_postgres: PostgresPublishResource
    ) -> dg.MaterializeResult:
        """Publish the audited marts as version N+1 (DuckDB + Parquet, then PostgreSQL if set), draw the report."""
        results = _check_results(context)
        # Belt and braces: blocking checks already stop this step, but never publish past a failed check.
        failures = blocking_failures(results, gates)
        if failures:
            raise dg.Failure(
                description="not published; failed blocking checks: " + ", ".join(failures),
                metadata={"failed_checks": dg.MetadataValue.json(failures)},
            )
        settings = PublishSettings.from_settings(warehouse.settings)
        entry = publish(settings, marts, run_id=context.run_id, check_results=results)
        context.log.info(
            f"published version {entry['version']} (as of {entry['as_of_date']}) to {entry['stable_db']}; "
            f"{len(entry['restatements'])} restated monthly numbers"
        )
        # The days this run's dbt build rebuilt are now published: a later window run may start after them.
        with warehouse.connect() as con:
            record_publication(con, context.run_id)
        # The at-risk list with names goes out only after its mart passed the gates, and never as a published mart.
        exported = export_at_risk_list(warehouse.settings.work_db, warehouse.settings.warehouse_dir)
        if exported:
            context.log.info(f"restricted at-risk list: {exported[1]} partners in {exported[0]} (mode 0600)")
        # Each mart's page shows what was published from it: rows and version, as an observation of the mart
        # (its materialization is dbt's, written before the gates ran and the version existed).
        for mart in marts:
            context.log_event(
                dg.AssetObservation(
                    asset_key=keys[mart],
                    description=f"published as version {entry['version']} (as of {entry['as_of_date']})",
                    metadata={
                        "dagster/row_count": dg.MetadataValue.int(entry["row_counts"][mart]),
                        "published_version": dg.MetadataValue.int(entry["version"]),
                        # The first period copied from the work warehouse: a date, "all", or "none".
                        "copied_from": dg.MetadataValue.text(entry["copied_from"][mart]),
                        "as_of_date": dg.MetadataValue.text(str(entry["as_of_date"])),
                        "published_db": dg.MetadataValue.path(entry["stable_db"]),
                    },
                )
            )
        version_db = live_version_db(settings)
        report = _write_report(context, settings.stable_db, warehouse.settings.report_dir, settings.memory_limit)
        target = PostgresTarget.from_settings(publish_postgres.settings)
        postgres, postgres_error = (
            _publish_postgres(context, target, entry, settings) if target else ({}, None)
        )
        if postgres_error:
            # Loud, not silent: BI on PostgreSQL would otherwise stay a version behind unnoticed. The DuckDB
            # version stands (its file is live and logged); the failed step alerts like any failed run.
            raise dg.Failure(
                description=(
                    f"version {entry['version']} is published to {entry['stable_db']}, but not to PostgreSQL, "
                    f"where BI tools still read the previous version: {postgres_error}"
                ),
                metadata={"version": dg.MetadataValue.int(entry["version"]), "postgres_error": postgres_error},
            )
        return dg.MaterializeResult(
            metadata={
                **report,
                **postgres,
                "dagster/row_count": dg.MetadataValue.int(sum(entry["row_counts"].values())),
                "version": dg.MetadataValue.int(entry["version"]),
                "as_of_date": dg.MetadataValue.text(str(entry["as_of_date"])),
                "stable_db": dg.MetadataValue.path(entry["stable_db"]),
                "version_dir": dg.MetadataValue.path(entry["version_dir"]),
                # For processes that keep connections open across publishes (docs/bi.md).
                "version_db": dg.MetadataValue.path(str(version_db)),
                "row_counts": dg.MetadataValue.json(entry["row_counts"]),
                "copied_from": dg.MetadataValue.json(entry["copied_from"]),
                "restatements": dg.MetadataValue.json(entry["restatements"][:50]),
                "restatement_count": dg.MetadataValue.int(len(entry["restatements"])),
                "checks_passed": dg.MetadataValue.int(sum(r["passed"] for r in results)),
                "pruned_versions": dg.MetadataValue.json(entry["pruned_versions"]),
            }
        )

    return published_marts
