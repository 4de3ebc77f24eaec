"""Publication on a hand-built work warehouse: versions, determinism, restatements, rollback, pruning, privacy."""

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.publish import (
    PublishSettings,
    _month_complete,
    is_personal,
    list_versions,
    live_version_db,
    main,
    parse_version,
    previous_for,
    publish,
    read_log,
    rollback,
)
from orchestration.lib.settings import Settings

MARTS = ["dim_partners", "fct_partner_monthly"]


def build_work(
    db: Path, march_refund: float = 0.0, april_revenue: float = 50.0, as_of: str = "2024-03-15", april: bool = False
) -> None:
    """Two partners; January and February complete, March partial as of 2024-03-15 (or later); `april`: a row of
    P2 in April."""
    db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.dim_partners as select * from (values "
            f"('P2', 'EMEA', 'bob@example.com', 'Bob Manager', 'active', date '{as_of}'), "
            f"('P1', 'NA', 'ann@example.com', 'Ann Manager', 'active', date '{as_of}')) "
            "as t(partner_id, region, email, account_manager, status, as_of_date)"
        )
        con.execute(
            "create or replace table marts.fct_partner_monthly as select * from (values "
            "('P1', date '2024-01-01', 100.0, 0.0, 100.0, true), "
            "('P2', date '2024-01-01', 40.0, 0.0, 40.0, true), "
            f"('P1', date '2024-02-01', 80.0, {march_refund}, {80.0 - march_refund}, true), "
            f"('P1', date '2024-03-01', {april_revenue}, 0.0, {april_revenue}, true)"
            + (", ('P2', date '2024-04-01', 7.0, 0.0, 7.0, true)" if april else "")
            + ") as t(partner_id, month_start_date, gross_revenue_reporting, refunds_reporting, "
            "net_revenue_reporting, is_active)"
        )
        con.execute(f"alter table marts.fct_partner_monthly add column as_of_date date default date '{as_of}'")
        # The contract's money type whatever the literals (a copy of another shape is copied whole).
        for column in ("gross_revenue_reporting", "refunds_reporting", "net_revenue_reporting"):
            con.execute(f"alter table marts.fct_partner_monthly alter {column} type decimal(18, 4)")


@pytest.fixture
def settings(tmp_path: Path) -> PublishSettings:
    wh = tmp_path / "warehouse"
    build_work(wh / "work.duckdb")
    return PublishSettings(
        work_db=wh / "work.duckdb",
        published_dir=wh / "published",
        stable_db=wh / "marts.duckdb",
        keep_versions=2,
        memory_limit="256MB",  # PRA_DUCKDB_MEMORY_LIMIT (see test_the_publication_holds_to_the_memory_limit)
    )


def stable_rows(settings: PublishSettings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.stable_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_publish_writes_version_parquet_log_and_stable_file(settings: PublishSettings):
    entry = publish(settings, MARTS, run_id="run-1")
    assert entry["version"] == 1
    assert entry["row_counts"] == {"dim_partners": 2, "fct_partner_monthly": 4}
    assert entry["as_of_date"] == "2024-03-15"
    vdir = settings.published_dir / "v0001"
    assert sorted(p.name for p in vdir.iterdir()) == [
        "dim_partners.parquet",
        "fct_partner_monthly.parquet",
        "marts.duckdb",
        "publish_log.json",
    ]
    assert stable_rows(settings, "select version, event, run_id from publish_log") == [(1, "publish", "run-1")]
    # Rows are copied in a fixed order (by every column), whatever order the work table had.
    assert stable_rows(settings, "select partner_id from dim_partners") == [("P1",), ("P2",)]
    assert read_log(settings.published_dir)[0]["key_metrics"]["fct_partner_monthly"] == {
        "partners": 2.0,
        "net_revenue_reporting": 270.0,
    }


def test_personal_columns_are_left_out_unless_configured(settings: PublishSettings):
    publish(settings, MARTS, run_id="r")
    cols = [r[0] for r in stable_rows(settings, "describe dim_partners")]
    assert cols == ["partner_id", "region", "status", "as_of_date"]
    allowed = PublishSettings(**{**settings.__dict__, "personal_columns_allowed": frozenset({"account_manager"})})
    publish(allowed, MARTS, run_id="r2")
    assert "account_manager" in [r[0] for r in stable_rows(settings, "describe dim_partners")]
    assert "email" not in [r[0] for r in stable_rows(settings, "describe dim_partners")]


def test_same_data_twice_gives_byte_identical_marts(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    publish(settings, MARTS, run_id="b")
    for mart in MARTS:
        first = (settings.published_dir / "v0001" / f"{mart}.parquet").read_bytes()
        second = (settings.published_dir / "v0002" / f"{mart}.parquet").read_bytes()
        assert first == second, mart
    assert read_log(settings.published_dir)[1]["restatements"] == []


def test_late_refund_in_a_complete_month_is_listed_as_a_restatement(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    # A 30.00 refund for February arrives late; March (partial as of 2024-03-15) grows as usual.
    build_work(settings.work_db, march_refund=30.0, april_revenue=90.0)
    entry = publish(settings, MARTS, run_id="b")
    changes = {(c["metric"], c["month_start_date"]): c for c in entry["restatements"]}
    assert set(changes) == {("net_revenue_reporting", "2024-02-01"), ("refunds_reporting", "2024-02-01")}
    net = changes[("net_revenue_reporting", "2024-02-01")]
    assert (net["previous"], net["current"], net["change"], net["change_pct"]) == (80.0, 50.0, -30.0, -37.5)
    assert stable_rows(settings, "select version, metric, change from publish_restatements order by metric") == [
        (2, "net_revenue_reporting", -30.0),
        (2, "refunds_reporting", 30.0),
    ]


def test_rollback_republishes_a_kept_version_and_logs_it(settings: PublishSettings, capsys):
    publish(settings, MARTS, run_id="a")
    build_work(settings.work_db, march_refund=30.0)
    publish(settings, MARTS, run_id="b")
    feb = "select net_revenue_reporting from fct_partner_monthly where month_start_date = '2024-02-01'"
    assert stable_rows(settings, feb) == [(50.0,)]
    entry = rollback(settings, 1)
    assert (entry["event"], entry["version"], entry["rolled_back_from"]) == ("rollback", 1, 2)
    assert stable_rows(settings, feb) == [(80.0,)]
    assert stable_rows(settings, "select version, event from publish_log order by entry_number") == [
        (1, "publish"),
        (2, "publish"),
        (1, "rollback"),
    ]
    # The next gate compares with what BI sees now: the rolled-back version.
    assert previous_for("dim_partners", read_log(settings.published_dir))["row_count"] == 2
    assert list_versions(settings).splitlines()[-1].startswith("*       1 rollback")
    with pytest.raises(ValueError, match="not kept"):
        rollback(settings, 7)


def test_cli_rollback_and_list(settings: PublishSettings, monkeypatch, capsys):
    publish(settings, MARTS, run_id="a")
    publish(settings, MARTS, run_id="b")
    monkeypatch.setenv("PRA_WAREHOUSE_DIR", str(settings.work_db.parent))
    monkeypatch.delenv("PRA_PUBLISHED_DB", raising=False)
    assert main(["rollback", "v0001"]) == 0
    assert "version 1" in capsys.readouterr().out
    assert main(["list"]) == 0
    assert "* " in capsys.readouterr().out
    assert main(["rollback", "9"]) == 1


def test_keeps_the_last_n_versions(settings: PublishSettings):
    for i in range(4):
        entry = publish(settings, MARTS, run_id=str(i))
    assert entry["pruned_versions"] == [2]
    assert sorted(p.name for p in settings.published_dir.glob("v*")) == ["v0003", "v0004"]
    assert [e["version"] for e in read_log(settings.published_dir)] == [1, 2, 3, 4]


def test_leftovers_of_a_killed_publish_are_removed(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    (settings.published_dir / ".v0002.tmp-999").mkdir()
    (settings.published_dir / "v0002").mkdir()  # renamed into place, but the swap never happened
    (settings.stable_db.parent / ".marts.duckdb.tmp-999").write_text("half a file")
    entry = publish(settings, MARTS, run_id="b")
    assert entry["version"] == 2  # the orphan number was never logged, so it is reused
    assert sorted(p.name for p in settings.published_dir.iterdir() if p.name.startswith((".v", "v"))) == [
        "v0001",
        "v0002",
    ]
    assert (settings.published_dir / "v0002" / "marts.duckdb").exists()
    assert not list(settings.stable_db.parent.glob(".marts.duckdb.tmp-*"))


def test_the_publication_holds_to_the_memory_limit(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    with duckdb.connect(str(settings.work_db)) as con:  # 100,000 partner-months: more than 1MB to sort
        con.execute(
            "insert into marts.fct_partner_monthly select 'P' || (i % 1000), date '2000-01-01' + i::integer, "
            "1.0, 0.0, 1.0, true, date '2024-03-15' from range(100000) as t(i)"
        )
    tight = PublishSettings(**{**settings.__dict__, "memory_limit": "1MB"})
    with pytest.raises(duckdb.OutOfMemoryException, match=r"976\.5 KiB used"):
        publish(tight, MARTS, run_id="b")
    # Nothing was swapped in: version 1 stays live; the same data publishes within the usual limit.
    assert [e["version"] for e in read_log(settings.published_dir)] == [1]
    assert stable_rows(settings, "select max(version) from publish_log") == [(1,)]
    entry = publish(settings, MARTS, run_id="c")
    assert (entry["version"], entry["row_counts"]["fct_partner_monthly"]) == (2, 100_004)


def test_stable_path_is_configurable(tmp_path: Path):
    env = {
        "PRA_HOME": str(tmp_path),
        "PRA_PUBLISHED_DB": "bi/programme.duckdb",
        "PRA_KEEP_VERSIONS": "3",
        "PRA_PUBLISH_PERSONAL_COLUMNS": "email, account_manager",
    }
    s = PublishSettings.from_settings(Settings.from_env(env))
    assert s.stable_db == tmp_path / "bi" / "programme.duckdb"
    assert s.published_dir == tmp_path / "warehouse" / "published"
    assert s.keep_versions == 3
    assert s.personal_columns_allowed == {"email", "account_manager"}


def test_small_helpers():
    assert is_personal("email") and is_personal("billing_email") and is_personal("partner_name")
    assert is_personal("account_manager")  # flagged `personal` in the landing contract
    assert not is_personal("partner_id") and not is_personal("email", frozenset({"email"}))
    assert parse_version("v0003") == 3 and parse_version("12") == 12
    assert _month_complete(date(2024, 2, 1), "2024-02-29") and not _month_complete(date(2024, 2, 1), "2024-02-28")
    assert _month_complete(date(2024, 12, 1), "2024-12-31")


def test_table_and_column_comments_reach_the_published_copy(settings: PublishSettings):
    """dbt writes the doc blocks as DuckDB comments on the work marts (persist_docs); BI reads the published copy."""
    with duckdb.connect(str(settings.work_db)) as con:
        con.execute("comment on table marts.dim_partners is 'One row per partner.'")
        con.execute("comment on column marts.dim_partners.region is 'Region from the partner''s latest snapshot.'")
    publish(settings, MARTS, run_id="run-1")
    assert stable_rows(settings, "select comment from duckdb_tables() where table_name = 'dim_partners'") == [
        ("One row per partner.",)
    ]
    comments = dict(
        stable_rows(settings, "select column_name, comment from duckdb_columns() where table_name = 'dim_partners'")
    )
    assert comments["region"] == "Region from the partner's latest snapshot."
    assert comments["partner_id"] is None
    assert "email" not in comments


def test_a_mart_that_is_a_view_in_the_work_file_is_published_as_a_table(settings: PublishSettings):
    """A mart that republishes an intermediate model is a view in the work file (dbt macro view_materialization)."""
    with duckdb.connect(str(settings.work_db)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.fct_partner_monthly as from marts.fct_partner_monthly")
        con.execute("drop table marts.fct_partner_monthly")
        con.execute("create view marts.fct_partner_monthly as select * from intermediate.fct_partner_monthly")
        con.execute("comment on view marts.fct_partner_monthly is 'Partner x period facts.'")
        con.execute("comment on column marts.fct_partner_monthly.is_active is 'A sale in the period.'")
    entry = publish(settings, MARTS, run_id="run-1")
    assert entry["row_counts"]["fct_partner_monthly"] == 4
    assert stable_rows(
        settings, "select table_name, comment from duckdb_tables() where table_name = 'fct_partner_monthly'"
    ) == [("fct_partner_monthly", "Partner x period facts.")]
    comments = dict(
        stable_rows(
            settings, "select column_name, comment from duckdb_columns() where table_name = 'fct_partner_monthly'"
        )
    )
    assert comments["is_active"] == "A sale in the period."
    assert stable_rows(settings, "select sum(net_revenue_reporting) from fct_partner_monthly") == [(270.0,)]


def truncate_log(settings: PublishSettings, entries: int) -> list[dict]:
    """Cut publish_log.json to its first `entries` entries, as a kill before its write does; returns the full log."""
    full = read_log(settings.published_dir)
    (settings.published_dir / "publish_log.json").write_text(json.dumps(full[:entries], indent=2))
    return full


def test_log_behind_the_live_file_is_repaired_by_the_next_publish(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    build_work(settings.work_db, march_refund=30.0)  # version 2 restates February
    publish(settings, MARTS, run_id="b")
    full = truncate_log(settings, 1)  # killed after the swap to version 2, before the log write
    assert [e["version"] for e in full] == [1, 2] and len(full[1]["restatements"]) == 2

    # The next publish first repairs the log (entry 2 exactly as it was), so it keeps v0002 and numbers 3.
    entry = publish(settings, MARTS, run_id="c")
    assert entry["version"] == 3 and entry["restatements"] == []  # compared with version 2, the live one
    log = read_log(settings.published_dir)
    assert log[:2] == full and [e["version"] for e in log] == [1, 2, 3]
    assert (settings.published_dir / "v0002" / "marts.duckdb").exists()


def test_rollback_after_a_kill_acts_on_the_live_version(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    publish(settings, MARTS, run_id="b")
    truncate_log(settings, 1)
    entry = rollback(settings, 1)
    assert (entry["version"], entry["rolled_back_from"]) == (1, 2)
    assert [(e["version"], e["event"]) for e in read_log(settings.published_dir)] == [
        (1, "publish"),
        (2, "publish"),
        (1, "rollback"),
    ]
    assert (settings.published_dir / "v0002" / "marts.duckdb").exists()
    # A rollback killed the same way is repaired from the file alone (a rollback has no folder of its own).
    full = truncate_log(settings, 2)
    assert list_versions(settings).splitlines()[-1].startswith("*       1 rollback")
    assert read_log(settings.published_dir) == full


def test_repair_without_the_version_folder_rebuilds_the_entry_from_the_file(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    build_work(settings.work_db, march_refund=30.0)
    publish(settings, MARTS, run_id="b")
    full = truncate_log(settings, 1)
    (settings.published_dir / "v0002" / "publish_log.json").unlink()
    # The listing shows what BI sees, the live file's own version, and saves the repair: publish_log and
    # publish_restatements in the live file hold every field of the entry.
    assert [line.split()[:2] for line in list_versions(settings).splitlines()[1:]] == [["1", "publish"], ["*", "2"]]
    assert read_log(settings.published_dir) == full


def test_a_live_file_that_disagrees_otherwise_stops_publication(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    publish(settings, MARTS, run_id="b")
    # Someone copied version 1's file over the stable path by hand: the log is ahead of the live file.
    shutil.copyfile(settings.published_dir / "v0001" / "marts.duckdb", settings.stable_db)
    assert "holds version 1" in list_versions(settings)
    with pytest.raises(RuntimeError, match=r"holds version 1 \(log entry 1\).*says version 2"):
        publish(settings, MARTS, run_id="c")
    assert sorted(p.name for p in settings.published_dir.glob("v0*")) == ["v0001", "v0002"]
    # A rollback is the way out: it makes the file and the log agree again.
    assert rollback(settings, 2)["rolled_back_from"] == 1
    assert publish(settings, MARTS, run_id="d")["version"] == 3


def test_a_long_lived_process_sees_a_new_version_through_the_version_path(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    version = "select max(version) from publish_log"
    held = duckdb.connect(str(settings.stable_db), read_only=True)  # e.g. a BI server's connection pool
    build_work(settings.work_db, april_revenue=90.0)
    publish(settings, MARTS, run_id="b")
    # DuckDB shares one database instance per path in a process: while `held` is open, a NEW connection to
    # the stable path still reads the file that instance opened, version 1.
    again = duckdb.connect(str(settings.stable_db), read_only=True)
    assert again.execute(version).fetchone() == (1,)
    # The live version's own path is new to this process: version 2 at once.
    assert live_version_db(settings) == settings.published_dir / "v0002" / "marts.duckdb"
    with duckdb.connect(str(live_version_db(settings)), read_only=True) as fresh:
        assert fresh.execute(version).fetchone() == (2,)
        assert fresh.execute("select sum(net_revenue_reporting) from fct_partner_monthly").fetchone() == (310.0,)
    # Once every connection to the stable path is closed, the next one opens the swapped-in file.
    held.close()
    again.close()
    assert stable_rows(settings, version) == [(2,)]


def parquet_bytes(version_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(version_dir.glob("*.parquet"))}


def published_afresh(settings: PublishSettings, tmp_path: Path) -> dict[str, bytes]:
    """The Parquet files of the same work warehouse published whole, into a published folder of its own."""
    fresh = PublishSettings(
        **{**settings.__dict__, "published_dir": tmp_path / "fresh", "stable_db": tmp_path / "fresh.duckdb"}
    )
    entry = publish(fresh, MARTS, run_id="fresh")
    assert set(entry["copied_from"].values()) == {"all"}
    return parquet_bytes(Path(entry["version_dir"]))


def test_a_publish_copies_only_the_periods_that_changed(settings: PublishSettings, tmp_path: Path):
    first = publish(settings, MARTS, run_id="a")
    assert first["copied_from"] == {"dim_partners": "all", "fct_partner_monthly": "all"}
    # A later run: a 30.00 refund restates February, March grows, a new as-of date on every row.
    build_work(settings.work_db, march_refund=30.0, april_revenue=90.0, as_of="2024-03-20")
    entry = publish(settings, MARTS, run_id="b")
    # January is kept from version 1; February and March are copied again; the partners changed only their as-of.
    assert entry["copied_from"] == {"dim_partners": "none", "fct_partner_monthly": "2024-02-01"}
    assert stable_rows(
        settings, "select partner_id, month_start_date, net_revenue_reporting, as_of_date from fct_partner_monthly"
    ) == [
        ("P1", date(2024, 1, 1), 100.0, date(2024, 3, 20)),
        ("P2", date(2024, 1, 1), 40.0, date(2024, 3, 20)),
        ("P1", date(2024, 2, 1), 50.0, date(2024, 3, 20)),
        ("P1", date(2024, 3, 1), 90.0, date(2024, 3, 20)),
    ]
    assert stable_rows(settings, "select distinct as_of_date from dim_partners") == [(date(2024, 3, 20),)]
    assert entry["row_counts"] == {"dim_partners": 2, "fct_partner_monthly": 4}
    # The same bytes as the same work marts published whole.
    assert parquet_bytes(Path(entry["version_dir"])) == published_afresh(settings, tmp_path)

    # A new period only: April is copied, nothing before it; then nothing new at all.
    build_work(settings.work_db, march_refund=30.0, april_revenue=90.0, as_of="2024-04-02", april=True)
    assert publish(settings, MARTS, run_id="c")["copied_from"]["fct_partner_monthly"] == "2024-04-01"
    entry = publish(settings, MARTS, run_id="d")
    assert entry["copied_from"] == {"dim_partners": "none", "fct_partner_monthly": "none"}
    assert parquet_bytes(Path(entry["version_dir"])) == published_afresh(settings, tmp_path / "2")
    # A period removed from the work marts (a backfill that moved the as-of date back) is removed from the copy.
    build_work(settings.work_db, march_refund=30.0, april_revenue=90.0, as_of="2024-03-31")
    entry = publish(settings, MARTS, run_id="e")
    assert entry["copied_from"]["fct_partner_monthly"] == "2024-04-01"
    assert stable_rows(settings, "select max(month_start_date), count(*) from fct_partner_monthly") == [
        (date(2024, 3, 1), 4)
    ]


def test_a_mart_of_another_shape_is_copied_whole_and_one_no_longer_published_is_dropped(
    settings: PublishSettings, tmp_path: Path
):
    publish(settings, MARTS, run_id="a")
    with duckdb.connect(str(settings.work_db)) as con:
        con.execute("alter table marts.fct_partner_monthly add column partner_rank integer default 1")
    entry = publish(settings, ["fct_partner_monthly"], run_id="b")
    assert entry["copied_from"] == {"fct_partner_monthly": "all"}
    assert stable_rows(settings, "select table_name from duckdb_tables() order by 1") == [
        ("fct_partner_monthly",),
        ("publish_log",),
        ("publish_restatements",),
    ]
    assert stable_rows(settings, "select count(*), sum(partner_rank) from fct_partner_monthly") == [(4, 4)]
    # Allowing a personal column changes the partners' columns: copied whole, the account manager in it.
    allowed = PublishSettings(**{**settings.__dict__, "personal_columns_allowed": frozenset({"account_manager"})})
    assert publish(allowed, MARTS, run_id="c")["copied_from"]["dim_partners"] == "all"
    assert publish(allowed, MARTS, run_id="d")["copied_from"]["dim_partners"] == "none"
    assert stable_rows(settings, "select account_manager from dim_partners") == [("Ann Manager",), ("Bob Manager",)]


def test_a_version_without_a_row_order_is_not_reused_and_a_rollback_keeps_it(settings: PublishSettings):
    publish(settings, MARTS, run_id="a")
    # Version 1 as an older release wrote it, its rows in another order: its log entry has no row_order.
    log = read_log(settings.published_dir)
    del log[0]["row_order"]
    (settings.published_dir / "publish_log.json").write_text(json.dumps(log, indent=2))
    assert set(publish(settings, MARTS, run_id="b")["copied_from"].values()) == {"all"}
    assert set(publish(settings, MARTS, run_id="c")["copied_from"].values()) == {"none"}
    # Back to version 3: the next version starts from version 3's own file.
    build_work(settings.work_db, march_refund=30.0)
    publish(settings, MARTS, run_id="d")
    assert rollback(settings, 3)["row_order"] == read_log(settings.published_dir)[2]["row_order"]
    entry = publish(settings, MARTS, run_id="e")
    assert entry["copied_from"] == {"dim_partners": "none", "fct_partner_monthly": "2024-02-01"}
    assert [c["month_start_date"] for c in entry["restatements"]] == ["2024-02-01", "2024-02-01"]
