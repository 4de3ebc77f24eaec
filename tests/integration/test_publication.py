"""Write-audit-publish on real pipeline runs: atomic swaps under a reader, SIGKILL at every stage, rollback."""

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.lib.publish import PublishSettings, list_versions, publish, read_log, rollback
from orchestration.lib.settings import Settings
from tests.helpers import PipelineDirs, query
from tests.integration import wap_helpers
from tests.integration.wap_helpers import (
    FACTS,
    REPO,
    clone,
    group_cmdlines,
    kill_group,
    sha256,
    snapshot,
    spawn_pipeline,
    spawn_reader,
    stable_db,
    version_files,
    wait_for,
)

# The shared session fixtures (one landing folder, one published pipeline run).
published_pipeline = wap_helpers.published_pipeline
wap_landing = wap_helpers.wap_landing

PUBLISHED_MARTS = ["dim_partners", "fct_partner_monthly"]  # every other mart is published the same way


def test_published_file_holds_marts_log_and_no_personal_data(published_pipeline: PipelineDirs):
    db = stable_db(published_pipeline)
    tables = {r[0] for r in query(db, "select table_name from information_schema.tables")}
    assert set(PUBLISHED_MARTS) | {"publish_log", "publish_restatements"} <= tables
    columns = {r[0] for r in query(db, "select column_name from information_schema.columns")}
    assert not columns & {"email", "partner_name", "account_manager"}
    # Types are the dbt contracts': counts BIGINT for BI drivers, never DuckDB's 128-bit HUGEINT.
    assert query(db, "select count(*) from information_schema.columns where data_type = 'HUGEINT'") == [(0,)]
    # Descriptions travel with the tables (dbt persist_docs on the work marts, copied on publish).
    assert query(
        db,
        "select comment from duckdb_columns() where table_name = 'fct_program_kpis_monthly' "
        "and column_name = 'churn_rate'",
    ) == [("Partners of S who churned / S; null when S = 0 and (by default) in the partial period.",)]
    assert query(
        db,
        "select count(*) from duckdb_columns() where list_contains(?, table_name) and comment is null",
        [PUBLISHED_MARTS],
    ) == [(0,)]
    assert query(
        db,
        "select data_type from information_schema.columns "
        "where table_name = 'fct_program_kpis_monthly' and column_name = 'active_partner_count'",
    ) == [("BIGINT",)]
    entry = read_log(published_pipeline.warehouse / "published")[-1]
    assert entry["version"] == 1 and entry["as_of_date"] == published_pipeline.manifest()["end"]
    assert {c["check"] for c in entry["check_results"]} >= {f"{m}__publish" for m in PUBLISHED_MARTS}
    assert all(c["passed"] for c in entry["check_results"] if c["severity"] == "ERROR")
    # Parquet per mart, the same rows as the DuckDB tables.
    vdir = published_pipeline.warehouse / "published" / "v0001"
    for mart in PUBLISHED_MARTS:
        n = query(db, f"select count(*) from read_parquet('{vdir / (mart + '.parquet')}')")[0][0]
        assert n == entry["row_counts"][mart] == query(db, f"select count(*) from {mart}")[0][0]


def test_publishing_the_same_data_twice_is_byte_identical(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "twice")
    settings = PublishSettings.from_settings(Settings.from_env(dirs.env()))
    second = publish(settings, PUBLISHED_MARTS, run_id="again")
    assert second["version"] == 2 and second["restatements"] == []
    # Nothing changed but the run: every mart kept from version 1 (no period copied again).
    assert second["copied_from"] == dict.fromkeys(PUBLISHED_MARTS, "none")
    v1, v2 = (dirs.warehouse / "published" / v for v in ("v0001", "v0002"))
    for mart in PUBLISHED_MARTS:
        assert (v1 / f"{mart}.parquet").read_bytes() == (v2 / f"{mart}.parquet").read_bytes(), mart
        sql = f"select * from {mart}"
        assert query(v1 / "marts.duckdb", sql) == query(v2 / "marts.duckdb", sql)


def test_rollback_command_republishes_a_previous_version(published_pipeline: PipelineDirs, tmp_path: Path):
    dirs = clone(published_pipeline, tmp_path / "rollback")
    settings = PublishSettings.from_settings(Settings.from_env(dirs.env()))
    with duckdb.connect(str(dirs.work_db)) as con:  # a late refund restates a published month (the facts: a view)
        con.execute(
            f"update {FACTS} set net_revenue_reporting = net_revenue_reporting - 100 "
            "where partner_month_id = (select min(partner_month_id) from marts.fct_partner_monthly "
            "where month_start_date = '2024-01-01')"
        )
    entry = publish(settings, PUBLISHED_MARTS, run_id="restated")
    assert [(r["metric"], r["month_start_date"], r["change"]) for r in entry["restatements"]] == [
        ("net_revenue_reporting", "2024-01-01", -100.0)
    ]
    env = {**dirs.env(), "PATH": str(Path(sys.executable).parent)}
    out = subprocess.run(
        [sys.executable, "-m", "orchestration.lib.publish", "rollback", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "version 1" in out
    assert sha256(stable_db(dirs)) != sha256(dirs.warehouse / "published" / "v0002" / "marts.duckdb")
    assert snapshot(stable_db(dirs))["version"] == 1
    assert query(stable_db(dirs), "select version, event from publish_log order by entry_number") == [
        (1, "publish"),
        (2, "publish"),
        (1, "rollback"),
    ]
    listing = subprocess.run(
        [sys.executable, "-m", "orchestration.lib.publish", "list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listing.splitlines()[-1].startswith("*       1 rollback")


def assert_old_version_whole(dirs: PipelineDirs, old_hash: str) -> None:
    """The stable file is byte-for-byte the old version and opens as one consistent version."""
    assert sha256(stable_db(dirs)) == old_hash
    snap = snapshot(stable_db(dirs))
    assert snap["consistent"] and snap["version"] == 1


def test_sigkill_at_every_stage_leaves_one_live_version_that_the_log_agrees_with(
    published_pipeline: PipelineDirs, tmp_path: Path
):
    dirs = clone(published_pipeline, tmp_path / "kills")
    settings = PublishSettings.from_settings(Settings.from_env(dirs.env()))
    published = dirs.warehouse / "published"
    old_hash = sha256(stable_db(dirs))
    marker = tmp_path / "paused"

    # 1. During dbt: as soon as `dbt build` runs in the pipeline's process group.
    proc = spawn_pipeline(dirs, tmp_path / "kill_dbt.log")
    wait_for(lambda: any("dbt" in c and " build" in c for c in group_cmdlines(proc.pid)), 180, proc, "dbt build")
    time.sleep(1.0)
    kill_group(proc)
    assert_old_version_whole(dirs, old_hash)

    # 2-3. During the checks, and during publication with the new version fully built, one step before the
    # atomic swap (the latest moment a kill can hit; earlier publish points only write temp names). These runs
    # are the gates and the publication alone, on the marts dbt already built: ingestion and dbt add nothing.
    for point in ("checks", "swap"):
        marker.unlink(missing_ok=True)
        proc = spawn_pipeline(dirs, tmp_path / f"kill_{point}.log", pause=(point, marker), command="publish")
        wait_for(marker.exists, 240, proc, f"pause at {point}")
        assert marker.read_text() == point
        kill_group(proc)
        assert_old_version_whole(dirs, old_hash)
        assert [e["version"] for e in read_log(published)] == [1]

    # 4. After the swap to version 2, before publish_log.json is written: the file is whole version 2 and
    # the JSON log still ends at 1.
    marker.unlink()
    proc = spawn_pipeline(dirs, tmp_path / "kill_logwrite.log", pause=("logwrite", marker), command="publish")
    wait_for(marker.exists, 240, proc, "pause at logwrite")
    kill_group(proc)
    snap = snapshot(stable_db(dirs))
    assert snap["consistent"] and snap["version"] == 2
    assert [e["version"] for e in read_log(published)] == [1]
    # On a copy of that state: the listing shows the file's version (and repairs the log), and a rollback
    # to version 1 rolls back from 2, keeping v0002.
    crashed = clone(dirs, tmp_path / "crashed")
    crashed_settings = PublishSettings.from_settings(Settings.from_env(crashed.env()))
    assert list_versions(crashed_settings).splitlines()[-1].startswith("*       2 publish")
    entry = rollback(crashed_settings, 1)
    assert (entry["version"], entry["rolled_back_from"]) == (1, 2)
    assert [(e["version"], e["event"]) for e in read_log(crashed.warehouse / "published")] == [
        (1, "publish"),
        (2, "publish"),
        (1, "rollback"),
    ]
    assert snapshot(stable_db(crashed))["version"] == 1
    assert (crashed.warehouse / "published" / "v0002" / "marts.duckdb").exists()

    # 5. The next run (its publish repairs the log first) publishes version 3 while another process reads
    # the stable file. The gates and the publication alone again: the reader only sees what publication writes.
    reads, stop = tmp_path / "reads.jsonl", tmp_path / "stop-reader"
    reader = spawn_reader(stable_db(dirs), reads, stop)
    try:
        proc = spawn_pipeline(dirs, tmp_path / "final.log", command="publish")
        assert proc.wait(timeout=300) == 0, (tmp_path / "final.log").read_text()[-3000:]
        time.sleep(0.5)  # let the reader open the new version at least once
    finally:
        stop.write_text("stop")
        reader.wait(timeout=30)
    records = [json.loads(line) for line in reads.read_text().splitlines()]
    assert records, "the reader never ran"
    assert [r for r in records if "error" in r] == []
    assert all(r["consistent"] for r in records)
    assert {r["version"] for r in records} == {2, 3}
    versions = [r["version"] for r in records]
    assert versions == sorted(versions)  # old until the swap, new after: never back, never a mix

    assert [e["version"] for e in read_log(published)] == [1, 2, 3]
    assert version_files(dirs)[sha256(stable_db(dirs))] == 3
    assert {1, 2, 3} <= set(version_files(dirs).values())  # the folder of version 2, live at the kill, kept
    leftovers = [p.name for p in published.iterdir() if ".tmp-" in p.name]
    assert leftovers == [] and not list(dirs.warehouse.glob(".marts.duckdb.tmp-*"))

    # 6. A rollback to the previous version acts on the right one: from 3 back to 2.
    assert list_versions(settings).splitlines()[-1].startswith("*       3 publish")
    entry = rollback(settings, 2)
    assert (entry["version"], entry["rolled_back_from"]) == (2, 3)
    assert snapshot(stable_db(dirs))["version"] == 2
