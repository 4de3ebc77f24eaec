"""Bad input: one landing file with every kind of bad row -> the documented quarantine reason, field and row."""

from datetime import date

import pytest

from tests.helpers import PipelineDirs, query, run_pipeline
from tests.integration.test_ingestion import PARTNER_HEADER, TX_HEADER, write_csv

DAY = "2024-01-02"
GOOD = f"{DAY}T10:00:00+00:00"
# (row in file, record, expected reason, expected field); the comment says what is wrong.
TX_ROWS = [
    (1, f"T1,P1,C1,{GOOD},sale,100.00,USD,10.00,,widget", None, None),  # valid
    (2, f"T1,P1,C1,{GOOD},sale,100.00,USD,10.00,,widget", "duplicate_key", "transaction_id"),
    (3, f"T3,PX404,C1,{GOOD},sale,5.00,USD,0.50,,widget", "unknown_partner", "partner_id"),
    (4, f"T4,P1,C1,{GOOD},sale,-5.00,USD,0.50,,widget", "negative_amount", "amount"),
    (5, "T5,P1,C1,2024-13-45T99:00:00,sale,5.00,USD,0.50,,widget", "unparseable_timestamp", "occurred_at"),
    (6, f"T6,P1,C1,{GOOD},sale,5.00,EURO,0.50,,widget", "bad_currency", "currency"),
    (7, "T7,P1,C1,2031-01-01T10:00:00+00:00,sale,5.00,USD,0.50,,widget", "future_date", "occurred_at"),
    (8, f"T8,P1,C1,{GOOD},sale,,USD,0.50,,widget", "missing_required_field", "amount"),
    (9, f"T9,P1,C1,{GOOD},gift,5.00,USD,0.50,,widget", "invalid_value", "kind"),
    (10, f"T10,P1,C1,{GOOD},refund,5.00,USD,0.50,T999,widget", "unknown_refund_of", "refund_of"),
    (11, f"T11,P1,C1,{GOOD},refund,40.00,USD,4.00,T1,widget", None, None),  # valid partial refund of T1
    # A well-formed currency without any fx rate: this row is quarantined, the rest is published.
    (12, f"T12,P1,C1,{GOOD},sale,500,JPY,50,,widget", "no_fx_rate", "currency"),
    # The first copy of T13 is bad, the second valid: the first *valid* copy wins.
    (13, f"T13,P1,C1,{GOOD},sale,7.00,EURO,0.70,,widget", "bad_currency", "currency"),
    (14, f"T13,P1,C1,{GOOD},sale,7.00,USD,0.70,,widget", None, None),
    (15, f"T15,P1,,{GOOD},sale,5.00,USD,0.50,,widget", "missing_required_field", "customer_id"),
    # No offset: read as UTC whatever the host's time zone (the fixture runs under TZ=Asia/Kolkata).
    (16, f"T16,P1,C1,{DAY}T02:00:00,sale,3.00,USD,0.30,,widget", None, None),
    # Refunds follow their sale: T1 was sold at 10:00.
    (17, f"T17,P1,C1,{DAY}T09:00:00+00:00,refund,5.00,USD,0.50,T1,widget", "refund_before_sale", "occurred_at"),
]


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineDirs:
    dirs = PipelineDirs(tmp_path_factory.mktemp("bad_input"))
    write_csv(
        dirs.landing, "partners", "2024-01-01", PARTNER_HEADER,
        ["P1,Acme,a@example.com,2023-12-01,NA,US,affiliate,,,Bob,active,,,2024-01-01T00:00:00+00:00",
         "P2,Beta,b@example.com,2023-12-01,NA,US,affiliate,,,Bob,retired,,,2024-01-01T00:00:00+00:00"],
    )
    write_csv(dirs.landing, "transactions", "2024-01-01", TX_HEADER, [])
    write_csv(dirs.landing, "transactions", DAY, TX_HEADER, [record for _, record, _, _ in TX_ROWS])
    result = run_pipeline(dirs, date(2024, 1, 1), date(2024, 1, 2), TZ="Asia/Kolkata")
    assert result.success
    return dirs


def test_each_bad_row_gets_its_documented_reason_field_and_row(bad_run: PipelineDirs):
    got = {
        row: (reason, field)
        for row, reason, field in query(
            bad_run.work_db,
            "select _source_row, rejection_reason, rejected_field from staging.stg_program__quarantine "
            "where entity = 'transactions' and _source_file like ?",
            [f"%dt={DAY}/transactions.csv"],
        )
    }
    expected = {row: (reason, field) for row, _, reason, field in TX_ROWS if reason}
    assert got == expected


def test_valid_rows_are_staged_and_counts_reconcile(bad_run: PipelineDirs):
    staged = query(bad_run.work_db, "select transaction_id from staging.stg_program__transactions order by 1")
    assert staged == [("T1",), ("T11",), ("T13",), ("T16",)]
    raw = query(bad_run.work_db, "select count(*) from raw.transactions")[0][0]
    quarantined = query(
        bad_run.work_db, "select count(*) from staging.stg_program__quarantine where entity = 'transactions'"
    )[0][0]
    assert (raw, len(staged), quarantined) == (17, 4, 13)


def test_offset_less_timestamp_is_utc_whatever_the_host_time_zone(bad_run: PipelineDirs):
    # Under Asia/Kolkata a host-zone reading would give 2024-01-01 20:30 UTC, a day (and here a month) earlier.
    assert query(
        bad_run.work_db,
        "select cast(occurred_at as varchar), cast(occurred_date as varchar) from staging.stg_program__transactions "
        "where transaction_id = 'T16'",
    ) == [("2024-01-02 02:00:00", "2024-01-02")]


def test_a_currency_without_rates_does_not_stop_publication(bad_run: PipelineDirs):
    published = bad_run.warehouse / "marts.duckdb"
    assert query(published, "select count(*) from fct_partner_monthly where partner_id = 'P1'")[0][0] >= 1


def test_bad_partner_status_is_quarantined(bad_run: PipelineDirs):
    assert query(
        bad_run.work_db,
        "select record_key, rejection_reason, rejected_field, _source_row from staging.stg_program__quarantine "
        "where entity = 'partners'",
    ) == [("P2", "invalid_value", "status", 2)]


def test_partial_refund_nets_in_the_month(bad_run: PipelineDirs):
    rows = query(
        bad_run.work_db,
        "select gross_revenue_reporting, refunds_reporting, net_revenue_reporting, commission_reporting, is_active "
        "from marts.fct_partner_monthly where partner_id = 'P1' and month_start_date = date '2024-01-01'",
    )
    # Sales T1 100.00 + T13 7.00 + T16 3.00, refund T11 40.00 of T1; commissions 10 + 0.70 + 0.30 - 4.
    assert [tuple(float(v) if not isinstance(v, bool) else v for v in r) for r in rows] == [
        (110.0, 40.0, 70.0, 7.0, True)
    ]
