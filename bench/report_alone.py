"""Time the KPI report alone on a published marts file, optionally grown to a large program's size.

`python -m bench.report_alone --marts warehouse/marts.duckdb --copies 1250` copies the file to a temporary folder,
repeats every partner's rows of every table with a `partner_id` column `--copies` times (copy i's ids get the
suffix `_i`, `partner_month_id` too), and draws the report from it with `orchestration.lib.report.build_report`,
as the publication step does. Printed as JSON: partners, partner-periods, seconds (wall and CPU), peak memory of
this process and the bytes written. The small preset's published file (80 partners, about 800 partner-periods)
with `--copies 1250` gives 100,000 partners and about a million partner-periods, for a machine without a large run.
`--keep DIR` writes the report there instead of a temporary folder (to compare two commits' files byte for byte).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.lib.report import build_report
from orchestration.lib.settings import Settings


def grow(db: Path, copies: int, schema: str = "main") -> None:
    """Repeat every partner's rows of every table of `schema` with a partner_id column `copies` times in all (in
    place; views are left alone)."""
    with duckdb.connect(str(db)) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = ? and table_name in "
                "(select table_name from duckdb_columns() where schema_name = ? and column_name = 'partner_id')",
                [schema, schema],
            ).fetchall()
        ]
        for table in tables:
            relation = f'"{schema}"."{table}"'
            cols = [r[0] for r in con.execute(f"describe {relation}").fetchall()]
            select = ", ".join(
                f"\"{c}\" || '_' || cast(i as varchar)" if c in ("partner_id", "partner_month_id") else f'"{c}"'
                for c in cols
            )
            con.execute(f"insert into {relation} select {select} from {relation}, range(1, {copies:d}) r(i)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marts", type=Path, required=True, help="a published marts.duckdb (not changed)")
    parser.add_argument("--copies", type=int, default=1, help="repeat each partner's rows this many times in all")
    parser.add_argument("--keep", type=Path, help="write the report here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pra-report-bench-") as tmp:
        db = Path(tmp) / "marts.duckdb"
        shutil.copyfile(args.marts, db)
        if args.copies > 1:
            grow(db, args.copies)
        with duckdb.connect(str(db), read_only=True) as con:
            partners, periods = con.execute(
                "select count(distinct partner_id), count(*) from fct_partner_scorecard_monthly"
            ).fetchone()
        out = args.keep or Path(tmp) / "report"
        wall, cpu = time.perf_counter(), time.process_time()
        files = build_report(db, out, memory_limit=Settings.from_env().duckdb_memory_limit)  # as the pipeline's
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        data_files = len(list(files.scorecard.parent.glob("scorecard_data/*.js")))
    print(
        json.dumps(
            {
                "partners": partners,
                "partner_periods": periods,
                "data_files": data_files,
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "bytes_written": written,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
