"""The pipeline path: run the real Dagster job for one date range in this process (the bench's child).

`python -m bench.pipeline --landing L --warehouse W --first D --last D --profile P.json` runs the
nightly job as ONE in-process run (like `pra run`) and writes a per-step profile: Python start-up,
loading the definitions, each Dagster step, and inside the dbt step the summed model/test time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

T0 = time.perf_counter()


def _step_profile(instance, run_id: str) -> dict[str, float]:
    """Seconds per Dagster step, from the run's step statistics."""
    return {
        stat.step_key: round(stat.end_time - stat.start_time, 3)
        for stat in instance.get_run_step_stats(run_id)
        if stat.start_time and stat.end_time
    }


def _dbt_durations(result) -> list[tuple[str, str, float]]:
    """(folder, name, seconds) of every dbt model built and data test evaluated (dagster-dbt's metadata)."""
    durations = []
    for mat in result.get_asset_materialization_events():
        value = mat.materialization.metadata.get("Execution Duration")
        if value is not None:
            path = mat.asset_key.path
            durations.append((path[0] if len(path) > 1 else "dbt_models", path[-1], float(value.value)))
    for check in result.get_asset_check_evaluations():
        value = check.metadata.get("Execution Duration")
        if value is not None:
            durations.append(("dbt_tests", f"test {check.check_name}", float(value.value)))
    return durations


def _dbt_node_seconds(durations: list[tuple[str, str, float]]) -> dict[str, float]:
    """Summed dbt execution time per folder of the built models, and of the evaluated tests."""
    totals: dict[str, float] = defaultdict(float)
    for folder, _, seconds in durations:
        totals[folder] += seconds
    return {k: round(v, 3) for k, v in totals.items()}


def _dbt_slowest_nodes(durations: list[tuple[str, str, float]], count: int = 12) -> dict[str, float]:
    """dbt's slowest models and data tests of the run by execution seconds (name: seconds), for "what dominates"."""
    slowest = sorted(durations, key=lambda item: -item[2])[:count]
    return {name: round(seconds, 3) for _, name, seconds in slowest}


def _report_seconds(result) -> float | None:
    """Seconds the publication spent drawing the KPI report (its `report_seconds` metadata), if it drew one."""
    for mat in result.get_asset_materialization_events():
        value = mat.materialization.metadata.get("report_seconds")
        if value is not None:
            return round(float(value.value), 3)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the job for [first, last] against the given landing and warehouse folders."""
    ap = argparse.ArgumentParser(prog="python -m bench.pipeline")
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--first", type=date.fromisoformat, required=True)
    ap.add_argument("--last", type=date.fromisoformat, required=True)
    ap.add_argument("--profile", type=Path)
    args = ap.parse_args(argv)

    os.environ.update(
        PRA_HOME=str(args.warehouse.parent),
        PRA_LANDING_DIR=str(args.landing.resolve()),
        PRA_WAREHOUSE_DIR=str(args.warehouse.resolve()),
    )
    from orchestration.cli import run_range
    from orchestration.lib.dagster_storage import ephemeral_instance

    t_import = time.perf_counter()
    # Exactly what `pra run` does (definitions, tags, console logging), on a throwaway instance.
    instance = ephemeral_instance()
    result = run_range(args.first, args.last, instance=instance)
    t_run = time.perf_counter()
    steps = _step_profile(instance, result.run_id)
    durations = _dbt_durations(result)
    profile = {
        "success": result.success,
        "failed_steps": [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"],
        "partitions": (args.last - args.first).days + 1,
        "import_s": round(t_import - T0, 3),
        "execute_s": round(t_run - t_import, 3),  # loading the definitions included
        # Run creation and event bookkeeping outside any step (e.g. one planned event per asset x partition).
        "outside_steps_s": round(t_run - t_import - sum(steps.values()), 3),
        "steps_s": steps,
        "dbt_node_s": _dbt_node_seconds(durations),
        "dbt_slowest_s": _dbt_slowest_nodes(durations),
        "report_s": _report_seconds(result),
    }
    if args.profile:
        args.profile.write_text(json.dumps(profile, indent=2) + "\n")
    print(json.dumps(profile))
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
