"""Time the publish gates alone on a work warehouse, optionally with its marts grown to a large program's size.

`python -m bench.gates_alone --work-db warehouse/work.duckdb --copies 1250` copies the file to a temporary folder,
repeats every partner's rows of every mart table `--copies` times (as `bench.report_alone` does), and runs every
published mart's suite with `orchestration.lib.gx_runner.run_suite`, one after the other in this process, as the
`publish_gates` step does (without Dagster and without the volume comparison). Printed as JSON: suites, wall and
CPU seconds, peak memory of this process, the suites that failed and the slowest suites. The marts that are views
in the work file (those that republish an intermediate model, dbt macro view_materialization) become tables of
their rows in the copy first. Only the marts grow: the checks that reconcile a mart with the staged transactions
or with another model fail on a grown file, which is expected (they run and are timed all the same). The small
preset's work file with `--copies 1250` holds 100,000 partners and about a million rows in each partner-period
mart. `--checked-from DAY` runs the suites as the gates of a window run starting on DAY do: each row checked in the
periods from DAY's on, the table as a whole on every row.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from bench.report_alone import grow
from orchestration.lib import gx_runner


def views_as_tables(db: Path, schema: str) -> None:
    """Replace every view of `schema` in the file with a table of its rows (in place)."""
    with duckdb.connect(str(db)) as con:
        views = con.execute(
            "select view_name from duckdb_views() where schema_name = ? and not internal", [schema]
        ).fetchall()
        for (view,) in views:
            relation, rows = f'"{schema}"."{view}"', f'"{schema}"."{view}__rows"'
            con.execute(f"create table {rows} as select * from {relation}")
            con.execute(f"drop view {relation}")
            con.execute(f'alter table {rows} rename to "{view}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-db", type=Path, required=True, help="a pipeline run's work.duckdb (not changed)")
    parser.add_argument("--copies", type=int, default=1, help="repeat each partner's mart rows this many times in all")
    parser.add_argument(
        "--checked-from", type=date.fromisoformat, help="a window run's first day: check each row from its period on"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pra-gates-bench-") as tmp:
        db = Path(tmp) / "work.duckdb"  # the file name is the database name the manifest's relations use
        shutil.copyfile(args.work_db, db)
        if args.copies > 1:
            views_as_tables(db, schema="marts")
            grow(db, args.copies, schema="marts")
        marts = gx_runner.DbtModels.load().published()
        seconds: dict[str, float] = {}
        failed = []
        wall, cpu = time.perf_counter(), time.process_time()
        with duckdb.connect(str(db), read_only=True) as con:
            for mart in marts:
                started = time.perf_counter()
                if not gx_runner.run_suite(con, mart, checked_from=args.checked_from).passed:
                    failed.append(mart)
                seconds[mart] = round(time.perf_counter() - started, 2)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "suites": len(marts),
                "checked_from": args.checked_from.isoformat() if args.checked_from else "all",
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "failed": failed,
                "slowest_s": dict(sorted(seconds.items(), key=lambda kv: -kv[1])[:6]),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
