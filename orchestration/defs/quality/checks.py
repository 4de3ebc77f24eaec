"""Quality gates: each published mart's Great Expectations suite `<mart>__publish` as a blocking asset check."""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from orchestration.defs.jobs import GATES_STEPS, GateConfig
from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.defs.transformation.assets import published_mart_keys, reads_predictive_scores
from orchestration.lib import gx_runner
from orchestration.lib.gx_runner import DbtModels
from orchestration.lib.publish import PublishSettings, live_log, previous_for
from orchestration.lib.windows import checked_from

WARNINGS_SUFFIX = "__publish_warnings"


def gate_check_name(mart: str) -> str:
    """The blocking check of a mart: its suite's name."""
    return f"{mart}__publish"


def _cell(value: object, limit: int = 120) -> str:
    """A Markdown table cell: short, one line, no pipe."""
    return gx_runner._short(value, limit).replace("|", "\\|").replace("\n", " ")


def _markdown(result: gx_runner.SuiteResult, outcomes: list[gx_runner.ExpectationOutcome], limit: int = 100) -> str:
    """The suite's report as Markdown, shown on the check in the UI: failures first, then every other outcome."""
    if result.missing_suite:
        return f"**{result.summary()}**"
    ordered = sorted(outcomes, key=lambda o: (o.success, o.level != gx_runner.ERROR))
    notes = f" {'; '.join(result.notes)}." if result.notes else ""
    lines = [
        f"**{result.summary()}**",
        "",
        f"{result.row_count:,} rows, {result.seconds:.2f} s.{notes}",
        "",
        "| status | level | expectation | column | batch | observed | expected |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in ordered[:limit]:
        status = "ok" if o.success else ("WARN" if o.level == gx_runner.WARNING else "FAIL")
        lines.append(
            f"| {status} | {o.level} | {o.expectation} | {o.column or ''} | {o.batch} | {_cell(o.observed)} "
            f"| {_cell(o.expected)} |"
        )
    if len(ordered) > limit:
        lines.append(f"\n... and {len(ordered) - limit} more (the HTML report has all).")
    sample = next((o for o in ordered if not o.success and o.failing_rows), None)
    if sample:
        lines.append(f"\nFailing rows of `{sample.expectation}({sample.column})`:\n")
        lines.extend(f"- `{gx_runner._short(r, 300)}`" for r in sample.failing_rows)
    return "\n".join(lines)


def _results(result: gx_runner.SuiteResult, key: dg.AssetKey, report: Path, selected: set[dg.AssetCheckKey]):
    """The blocking result and the warnings result of one suite, with readable metadata."""
    # The report itself is a file on the run's host, which a browser on the UI cannot open (file:// links are
    # blocked): the check shows the same content as Markdown in `details`; `report` is the file for a shell.
    common = {
        "report": dg.MetadataValue.path(str(report)),
        "row_count": dg.MetadataValue.int(result.row_count),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        "notes": dg.MetadataValue.text("; ".join(result.notes) or "-"),
    }
    if dg.AssetCheckKey(key, gate_check_name(result.mart)) in selected:
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=gate_check_name(result.mart),
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata={
                **common,
                "failed_expectations": dg.MetadataValue.json([o.line() for o in result.failed]),
                "key_metrics": dg.MetadataValue.json(result.key_metrics),
                "details": dg.MetadataValue.md(_markdown(result, result.outcomes)),
            },
        )
    if dg.AssetCheckKey(key, result.mart + WARNINGS_SUFFIX) in selected:
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=result.mart + WARNINGS_SUFFIX,
            passed=not result.warnings,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                "warning-level expectations: " + "; ".join(o.line() for o in result.warnings)
                if result.warnings
                else "no warning-level expectation fired"
            ),
            metadata={
                **common,
                "warnings": dg.MetadataValue.json([o.line() for o in result.warnings]),
                "details": dg.MetadataValue.md(
                    _markdown(result, [o for o in result.outcomes if o.level == gx_runner.WARNING])
                ),
            },
        )


def build_quality_checks(dbt_models: Sequence[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """The gates as two steps (`GATES_STEPS`): the marts that do not read the predictive fit's scores, then those that
    do. In the weekly job the first sit between the first dbt step and the second, which reads gated marts, and the
    others after the second; one gate op over both would be split by Dagster under names that are not stable from
    one process to the next."""
    models = DbtModels.load()
    keys = published_mart_keys(dbt_models)
    predictive = {mart for mart in keys if reads_predictive_scores(models, mart)}
    return [
        _build_gates({m: k for m, k in keys.items() if m not in predictive}, GATES_STEPS[0]),
        _build_gates({m: k for m, k in keys.items() if m in predictive}, GATES_STEPS[1]),
    ]


def _build_gates(keys: dict[str, dg.AssetKey], name: str) -> dg.AssetChecksDefinition:
    """One blocking `<mart>__publish` check and one warning check per published mart in `keys` (by mart name)."""
    marts_by_key = {key: mart for mart, key in keys.items()}
    specs = []
    for mart, key in keys.items():
        specs.append(
            dg.AssetCheckSpec(
                gate_check_name(mart),
                asset=key,
                blocking=True,
                description=f"Great Expectations suite expectations/{mart}__publish.py (no suite, no publish).",
            )
        )
        specs.append(
            dg.AssetCheckSpec(
                mart + WARNINGS_SUFFIX,
                asset=key,
                blocking=False,
                description=f"Warning-level expectations of {mart}__publish: visible, never block publication.",
            )
        )

    @dg.multi_asset_check(specs=specs, name=name, can_subset=True, pool=WAREHOUSE_POOL)
    def publish_gates(context: dg.AssetCheckExecutionContext, config: GateConfig, warehouse: WarehouseResource):
        """Run every selected mart's suite on the work warehouse; write an HTML report linked from each result."""
        selected = set(context.selected_asset_check_keys)
        chosen = sorted({marts_by_key[k.asset_key] for k in selected})
        # The log as the live file has it: a publish killed before its log write is repaired first.
        log = live_log(PublishSettings.from_settings(warehouse.settings))
        override = config.allow_volume_jump
        if override:
            context.log.warning("allow_volume_jump override: volume comparison with the last version skipped")
        # The rows the run's dbt tests read: a window run checks each row of the periods it could have changed. A dbt
        # step tags the run while it runs, so the tags come from the instance, not from the run as it started.
        rows_from = checked_from(context.instance.get_run_by_id(context.run.run_id).tags)
        results = []
        with warehouse.connect(read_only=True) as con:
            for mart in chosen:
                result = gx_runner.run_suite(
                    con, mart, previous=previous_for(mart, log), allow_volume_jump=override, checked_from=rows_from
                )
                context.log.info(result.summary())
                results.append(result)
        report = gx_runner.write_report(
            results,
            # One folder per gate step: a run has two (the marts, then those reading the predictive scores).
            warehouse.settings.warehouse_dir / "quality" / context.run.run_id / context.op_def.name,
            f"Publish gates, run {context.run.run_id}",
        )
        context.log.info(f"quality report: {report}")
        for result in results:
            yield from _results(result, keys[result.mart], report, selected)

    return publish_gates
