"""bench.publish_alone: publication by changed period and whole, timed on the same work file, the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from bench import publish_alone
from orchestration.lib.publish import PublishSettings, publish, read_log
from tests.helpers import revenue_mart


def work_file(db: Path, rows: list[tuple[str, str, int]], as_of: str) -> None:
    """A work.duckdb with one period mart (partner, period, revenue, as-of date) and a partner dimension (marts
    without a suite, so no key metrics)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        revenue_mart(con, rows, as_of)
        con.execute(
            "create or replace table marts.partner_dimension as "
            f"select * from (values ('P1', date '{as_of}'), ('P2', date '{as_of}')) as t(partner_id, as_of_date)"
        )


def test_publication_alone_by_changed_period_and_whole(tmp_path: Path):
    work = tmp_path / "warehouse" / "work.duckdb"
    rows = [("P1", "2024-01-01", 10), ("P2", "2024-01-01", 20), ("P1", "2024-02-01", 30)]
    work_file(work, rows, "2024-02-10")
    published = tmp_path / "warehouse" / "published"
    settings = PublishSettings(work_db=work, published_dir=published, stable_db=tmp_path / "warehouse" / "marts.duckdb")
    publish(settings, ["partner_dimension", "fct_revenue"], run_id="before")
    # The next run: February grows, March starts, a new as-of date on every row.
    work_file(work, [*rows[:2], ("P1", "2024-02-01", 35), ("P2", "2024-03-01", 5)], "2024-03-02")

    out = tmp_path / "result.json"
    assert publish_alone.main(["--work-db", str(work), "--published", str(published), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["marts"] == result["parquet_files"] == 2 and result["parquet_differing"] == []
    # By changed period: the partners kept (only the as-of date moved), the revenue from February on.
    assert result["by_period"]["copied_from"] == {"2024-02-01": 1, "none": 1}
    assert result["whole"]["copied_from"] == {"all": 2}
    assert result["by_period"]["rows"] == result["whole"]["rows"] == 6
    assert result["by_period"]["wall_s"] >= 0 and result["whole"]["db_bytes"] > 0
    # Neither input changed: the published folder still has its one version.
    assert [e["version"] for e in read_log(published)] == [1]
