"""Every dbt unit test (the metric logic on hand-made fixtures), run once: pipeline runs leave them out."""

import json
from pathlib import Path

from tests.helpers import DBT_PROJECT_DIR, PipelineDirs, dbt_on


def test_every_dbt_unit_test_passes(small_pipeline: PipelineDirs, tmp_path: Path):
    # A copy of the session's warehouse: dbt reads the fixtures' column types from the built models.
    db = tmp_path / "work.duckdb"
    db.write_bytes(small_pipeline.work_db.read_bytes())
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    declared = {u["name"] for u in manifest["unit_tests"].values()}
    result = dbt_on(db, tmp_path / "dbt", "test", {"as_of_date": "2025-03-31"}, "test_type:unit")
    assert result.returncode == 0, result.stdout[-4000:]
    results = json.loads((tmp_path / "dbt" / "target" / "run_results.json").read_text())["results"]
    passed = {r["unique_id"].split(".")[-1] for r in results if r["status"] == "pass"}
    assert len(declared) >= 25 and passed == declared
