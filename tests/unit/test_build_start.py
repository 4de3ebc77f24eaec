"""Where a window run's dbt build starts (orchestration/lib/build_start.py), on a real DuckDB file with the
bookkeeping tables and the judged models' columns.

The window is 2024-01-01 .. 2024-01-07 (as of the 7th). Days 1-6 were published with the files they have now; day 7
is new. Partner P1 sells one USD transaction a day; EUR gets a rate a day, dated the day it lands.
"""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.build_start import (
    build_start,
    ensure_tables,
    first_rejudged_day,
    record_build,
    record_publication,
)
from orchestration.lib.contract import ENTITIES
from orchestration.lib.gx_runner import DbtModels
from orchestration.lib.ingestion import FINGERPRINT_COLUMNS, FINGERPRINTS_TABLE

START, END = date(2024, 1, 1), date(2024, 1, 8)
AS_OF = date(2024, 1, 7)
ENTITY_NAMES = ("transactions", "partners", "fx_rates")


def day(n: int) -> date:
    return date(2024, 1, n)


@pytest.fixture
def con(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    ensure_tables(con)
    con.execute("create schema raw; create schema staging; create schema intermediate")
    con.execute(f"create table {FINGERPRINTS_TABLE} ({FINGERPRINT_COLUMNS})")
    for n in range(1, 8):
        for entity in ENTITY_NAMES:
            print_ = f"{entity}-{n}"
            con.execute(f"insert into {FINGERPRINTS_TABLE} values (?, ?, ?)", [entity, day(n), print_])
            if n < 7:
                con.execute("insert into ingestion.published_fingerprints values (?, ?, ?)", [entity, day(n), print_])
    con.execute("insert into ingestion.published_signature values ('sig')")
    con.execute("create table raw.partners as select 'P1' as partner_id, date '2024-01-01' as _partition_date")
    con.execute(
        "create table raw.fx_rates as select 'EUR' as currency, cast(d as date)::varchar as rate_date, "
        "cast(d as date) as _partition_date from range(date '2024-01-01', date '2024-01-08', interval 1 day) t(d)"
    )
    con.execute(
        "create table raw.transactions as select 'T7' as transaction_id, 'P1' as partner_id, "
        "'2024-01-07T10:00:00Z' as occurred_at, date '2024-01-07' as _partition_date"
    )
    # The judged models: every contract column as text, the judgment and the landing day.
    for entity in ("transactions", "partners"):
        columns = ", ".join(f"null::varchar as {c.name}" for c in ENTITIES[entity].contract_columns)
        con.execute(
            f"create table staging.base_program__{entity} as select {columns}, null::varchar as rejection_reason, "
            "null::varchar as rejected_field, null::date as _partition_date where false"
        )
    con.execute("insert into staging.base_program__partners (partner_id, _partition_date) values ('P1', '2024-01-01')")
    for n in range(1, 7):
        sale = {"transaction_id": f"T{n}", "partner_id": "P1", "occurred_at": f"2024-01-0{n} 10:00:00", "kind": "sale"}
        add_transaction(con, n, **sale, currency="USD")
    con.execute(
        "create table staging.stg_program__fx_rates as select currency, cast(rate_date as date) as rate_date, "
        "_partition_date from raw.fx_rates where _partition_date < '2024-01-07'"
    )
    con.execute(
        "create table intermediate.int_transactions_converted as select currency as original_currency, "
        "cast(occurred_at as date) as occurred_date, _partition_date from staging.base_program__transactions"
    )
    yield con
    con.close()


def add_transaction(con: duckdb.DuckDBPyConnection, n: int, **values: str) -> None:
    values["_partition_date"] = day(n).isoformat()
    names = ", ".join(values)
    con.execute(f"insert into staging.base_program__transactions ({names}) values ({', '.join('?' * len(values))})",
                list(values.values()))


def start_of(con: duckdb.DuckDBPyConnection, signature: str = "sig") -> date:
    return build_start(con, START, END, AS_OF, signature, DbtModels.load()).day


def test_only_the_new_day_is_rebuilt_and_the_log_says_why(con):
    start = build_start(con, START, END, AS_OF, "sig", DbtModels.load())
    assert start.day == day(7)
    assert start.why == "the days [2024-01-01, 2024-01-07) hold the files and rows the last publication published"


def test_without_a_publication_or_after_a_change_of_project_the_whole_window_is_rebuilt(con):
    assert start_of(con, signature="another project") == START
    con.execute("delete from ingestion.published_signature")
    assert start_of(con) == START


def test_a_changed_or_removed_day_is_rebuilt_from_there(con):
    con.execute(f"update {FINGERPRINTS_TABLE} set fingerprint = 'new' where entity = 'transactions' "
                "and partition_date = '2024-01-04'")
    assert start_of(con) == day(4)
    # Day 3's partner snapshot file went away: the ingestion has no fingerprint for it any more.
    con.execute(f"delete from {FINGERPRINTS_TABLE} where entity = 'partners' and partition_date = '2024-01-03'")
    assert start_of(con) == day(3)


def test_an_unpublished_build_is_rebuilt_until_a_publication_covers_it(con):
    # Run a rebuilt days 5-7 and failed at a gate: the same files, but never gated.
    record_build(con, "a", day(5), END, "sig")
    assert start_of(con) == day(5)
    # A build of days long before the window does not concern it.
    record_build(con, "old", date(2023, 12, 1), date(2023, 12, 10), "sig")
    assert start_of(con) == day(5)
    # Run b rebuilt from day 5 on and published: its days are published, run a's mark is gone, the old one stays.
    record_build(con, "b", day(5), END, "sig")
    assert record_publication(con, "b") == 1
    assert start_of(con) == END - timedelta(days=1)
    assert con.execute("select run_id from ingestion.dbt_builds").fetchall() == [("old",)]
    assert con.execute("select count(*) from ingestion.dbt_build_fingerprints").fetchall() == [(0,)]
    # Day 7 is now published with the fingerprints run b read; the night after, day 8 alone would be new.
    published = "select count(*) from ingestion.published_fingerprints where partition_date = '2024-01-07'"
    assert con.execute(published).fetchall() == [(3,)]


def test_a_build_of_all_history_marks_every_day_until_published(con):
    record_build(con, "weekly", None, END, "sig")
    assert start_of(con) == START
    record_publication(con, "weekly")
    assert start_of(con) == day(7)


def test_a_publication_after_a_narrower_build_keeps_the_days_of_a_failed_one_it_did_not_rebuild(con):
    record_build(con, "failed", day(2), END, "sig")
    record_build(con, "failed later", day(6), date(2024, 1, 20), "sig")
    record_build(con, "nightly", day(6), END, "sig")
    record_publication(con, "nightly")
    # Days 2-5 the failed run rebuilt were not rebuilt again: they stay marked, and so does the build that reached
    # past day 7.
    marked = con.execute("select run_id, first_day, end_day from ingestion.dbt_builds order by build_id").fetchall()
    assert marked == [("failed", day(2), day(6)), ("failed later", day(6), date(2024, 1, 20))]
    assert start_of(con) == day(2)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # A sale quarantined for want of partner P9, whose first snapshot lands on day 7: dbt judges it again
        # wherever it landed (macro rows_rejudged_outside_window), without rebuilding the days between.
        ([("raw.partners", "'P9', date '2024-01-07'"), ("tx", 3, "partner_id", "P9", None)], 7),
        # Day 7's snapshot, staged before, listed P5; its file now does not: P5's sale of day 3 loses its partner.
        (
            [
                ("staging.base_program__partners (partner_id, _partition_date)", "'P5', date '2024-01-07'"),
                ("tx", 3, "partner_id", "P5", None),
            ],
            3,
        ),
        # The same with P5 still in day 7's file changes nothing, nor does a partner the kept days already knew.
        (
            [
                ("staging.base_program__partners (partner_id, _partition_date)", "'P5', date '2024-01-07'"),
                ("raw.partners", "' P5 ', date '2024-01-07'"),
                ("raw.partners", "'P1', date '2024-01-07'"),
                ("tx", 3, "partner_id", "P5", None),
            ],
            7,
        ),
        # A sale dated the 7th, quarantined as future on day 2: the as-of date reaches it now.
        ([("tx", 2, "occurred_at", "2024-01-07 09:00:00", "future_date")], 2),
        # One dated 2030 stays in the future.
        ([("tx", 2, "occurred_at", "2030-01-01 09:00:00", "future_date")], 7),
        # A refund of day 4 of sale T7, which lands on day 7.
        ([("tx", 4, "refund_of", "T7", "unknown_refund_of")], 4),
        # A sale in GBP quarantined on day 2: GBP's first rates land on day 7.
        (
            [
                ("raw.fx_rates", "'GBP', '2024-01-07', date '2024-01-07'"),
                ("tx", 2, "currency", "GBP", "no_fx_rate"),
            ],
            2,
        ),
    ],
)
def test_rows_the_rebuilt_days_may_judge_otherwise_move_the_start_back(con, rows, expected):
    for row in rows:
        if row[0] == "tx":
            _, n, column, value, reason = row
            values = {"transaction_id": f"X{n}", "partner_id": "P1", "occurred_at": f"2024-01-0{n} 11:00:00"}
            judgment = {"rejection_reason": reason, "rejected_field": column} if reason else {}
            add_transaction(con, n, **{**values, column: value, **judgment})
        else:
            con.execute(f"insert into {row[0]} values ({row[1]})")
    assert start_of(con) == day(expected)


def test_a_late_rate_reconverts_the_kept_rows_dated_from_it(con):
    # Day 7 brings EUR's rate of the 5th again (corrected): EUR sales of days 4 and 5, converted, dated the 4th and
    # 5th. The sale of the 4th kept its rate (of the 4th); the one of the 5th is converted again.
    con.execute("insert into raw.fx_rates values ('EUR', '2024-01-05', date '2024-01-07')")
    con.execute("insert into intermediate.int_transactions_converted values ('EUR', '2024-01-04', '2024-01-04'), "
                "('EUR', '2024-01-05', '2024-01-05')")
    assert start_of(con) == day(5)


def test_the_checks_reach_back_to_the_earliest_row_of_a_newcomer_partner(con):
    models = DbtModels.load()
    assert first_rejudged_day(con, day(7), END, models) is None
    # Day 7's snapshot lists P1, known since day 1, and P9, new: P9's sales landed on days 4 and 6, the first one
    # dated the 2nd. dbt judges them again; the tests and gates read the periods from the 2nd on.
    con.execute("insert into raw.partners values ('P1', date '2024-01-07'), (' P9 ', date '2024-01-07')")
    con.execute(
        "insert into raw.transactions values ('T1', 'P1', '2023-12-01T10:00:00Z', date '2024-01-01'), "
        "('X4', 'P9', '2024-01-02T23:00:00Z', date '2024-01-04'), "
        "('X6', 'P9', '2024-01-06T10:00:00Z', date '2024-01-06')"
    )
    assert first_rejudged_day(con, day(7), END, models) == day(2)
    # A newcomer's sale landed on day 1 with an unreadable date counts from its landing day.
    con.execute("insert into raw.transactions values ('X5', 'P9', 'yesterday', date '2024-01-01')")
    assert first_rejudged_day(con, day(7), END, models) == day(1)
