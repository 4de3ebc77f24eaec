"""Time publication alone, by changed period and whole, on a work warehouse and the published folder before it.

`python -m bench.publish_alone --work-db warehouse/work.duckdb --published BEFORE/published` publishes the work
file's marts twice with `orchestration.lib.publish.publish`, one call after the other in this process: into a copy of
`--published` (a published folder as it was before the run that built the work file, for example a copy taken before
a nightly run), which copies only the periods that changed since its live version, and into an empty folder, which
copies every mart whole, after an untimed publish that warms the imports and the file cache. Neither input is
changed. The marts are those of the live version of `--published`.
Printed as JSON (and written to `--json FILE`): each call's wall and CPU seconds, how many marts it copied from
which period (`copied_from`), whether every Parquet file of the two new versions is the same bytes, and the size of
each new DuckDB file. docs/benchmarks.md, "Publication by changed period".
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from orchestration.lib.publish import DB_NAME, PublishSettings, current_entry, publish, read_log
from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT


def timed_publish(work_db: Path, published_dir: Path, marts: list[str], memory_limit: str) -> dict[str, Any]:
    """One publish of `work_db` into `published_dir` (its stable file beside it), timed."""
    settings = PublishSettings(
        work_db=work_db,
        published_dir=published_dir,
        stable_db=published_dir.with_suffix(".duckdb"),
        memory_limit=memory_limit,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    entry = publish(settings, marts, run_id=f"bench-{published_dir.name}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    version_dir = Path(entry["version_dir"])
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "rows": sum(entry["row_counts"].values()),
        "copied_from": dict(sorted(collections.Counter(entry["copied_from"].values()).items())),
        "db_bytes": (version_dir / DB_NAME).stat().st_size,
        "version_dir": version_dir,
    }


def measure(work_db: Path, published: Path, out: Path, memory_limit: str) -> dict[str, Any]:
    """Publish by changed period (a copy of `published`) and whole (an empty folder) under `out`; compare."""
    live = current_entry(read_log(published))
    if live is None:
        raise SystemExit(f"{published} has no published version to start from")
    marts = list(live["row_counts"])
    shutil.copytree(published, out / "by_period")
    # Untimed, first: the imports (each mart's suite, for the key metrics) and the file cache, which the first
    # call would pay alone (3-4 s on the demo preset's marts).
    timed_publish(work_db, out / "warm_up", marts, memory_limit)
    results = {
        "by_period": timed_publish(work_db, out / "by_period", marts, memory_limit),
        "whole": timed_publish(work_db, out / "whole", marts, memory_limit),
    }
    a, b = (results[k].pop("version_dir") for k in ("by_period", "whole"))
    differing = [p.name for p in sorted(a.glob("*.parquet")) if p.read_bytes() != (b / p.name).read_bytes()]
    return {"marts": len(marts), **results, "parquet_files": len(marts), "parquet_differing": differing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-db", type=Path, required=True, help="a pipeline run's work.duckdb (not changed)")
    parser.add_argument("--published", type=Path, required=True, help="a published folder (not changed)")
    parser.add_argument("--memory-limit", default=DEFAULT_DUCKDB_MEMORY_LIMIT, help="DuckDB's, as the pipeline's")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pra-publish-bench-") as tmp:
        result = measure(args.work_db, args.published, Path(tmp), args.memory_limit)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
