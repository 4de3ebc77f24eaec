"""Ingestion: landing files -> raw tables, for real, on DuckDB files in a temp folder."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.defs.ingestion.assets import build_ingestion_assets
from orchestration.defs.partitions import build_daily_partitions
from orchestration.defs.resources import WarehouseResource
from orchestration.lib import ingestion
from orchestration.lib.contract import ENTITIES
from orchestration.lib.dagster_storage import ephemeral_instance
from orchestration.lib.ingestion import FINGERPRINTS_TABLE, LandingError, load_window

# CSV headers in contract order (the landing contract is their one home).
TX_HEADER = ",".join(ENTITIES["transactions"].columns)
PARTNER_HEADER = ",".join(ENTITIES["partners"].columns)


def write_csv(landing: Path, entity: str, day: str, header: str, rows: list[str]) -> Path:
    folder = landing / entity / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entity}.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def tx(i: int, day: str, amount: str = "10.00") -> str:
    return f"T{i},P1,C1,{day}T10:00:00+00:00,sale,{amount},USD,1.00,,widget"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    write_csv(
        root,
        "partners",
        "2024-01-01",
        PARTNER_HEADER,
        ['P1,"ООО «Ромашка»",anna@example.ru,2023-12-01,EMEA,RU,integrator,HubSpot,,Анна,active,,,'
         "2024-01-01T00:00:00+03:00"],
    )
    write_csv(root, "transactions", "2024-01-01", TX_HEADER, [tx(1, "2024-01-01"), tx(2, "2024-01-01")])
    write_csv(root, "transactions", "2024-01-02", TX_HEADER, [])  # header only: a valid zero
    table = pa.table({c: pa.array([None], pa.string()) for c in ENTITIES["transactions"].columns})
    table = table.set_column(0, "transaction_id", pa.array(["T3"]))
    table = table.set_column(1, "partner_id", pa.array(["P1"]))
    table = table.set_column(5, "amount", pa.array(["7.50"]))
    folder = root / "transactions" / "dt=2024-01-03"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "transactions.parquet")
    return root


def test_loads_csv_and_parquet_with_lineage(landing: Path, tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 4))
    assert (result.rows_loaded, result.files, result.days_present, result.days_missing) == (3, 3, 3, [])
    rows = con.execute(
        "select transaction_id, amount, _partition_date, _source_row, _source_file like '%.parquet' "
        "from raw.transactions order by transaction_id"
    ).fetchall()
    assert rows == [
        ("T1", "10.00", date(2024, 1, 1), 1, False),
        ("T2", "10.00", date(2024, 1, 1), 2, False),
        ("T3", "7.50", date(2024, 1, 3), 1, True),
    ]


def test_cyrillic_names_survive(landing: Path, tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load_window(con, ENTITIES["partners"], landing, date(2024, 1, 1), date(2024, 1, 2))
    assert con.execute("select partner_name, account_manager from raw.partners").fetchall() == [
        ("ООО «Ромашка»", "Анна")
    ]


def test_reloading_a_partition_replaces_only_that_partition(landing: Path, tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    entity = ENTITIES["transactions"]
    load_window(con, entity, landing, date(2024, 1, 1), date(2024, 1, 4))
    write_csv(landing, "transactions", "2024-01-01", TX_HEADER, [tx(1, "2024-01-01", "99.00")])
    again = load_window(con, entity, landing, date(2024, 1, 1), date(2024, 1, 2))
    assert (again.rows_replaced, again.rows_loaded) == (2, 1)
    assert con.execute("select transaction_id, amount from raw.transactions order by 1").fetchall() == [
        ("T1", "99.00"),
        ("T3", "7.50"),
    ]


def test_missing_required_folder_is_a_named_failure(landing: Path, tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    expected = r"required entity 'transactions' has no landing folder dt=<day> for 2024-01-04"
    with pytest.raises(LandingError, match=expected):
        load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 5))


def test_optional_entity_absent_gives_an_empty_table(landing: Path, tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_window(con, ENTITIES["nps_responses"], landing, date(2024, 1, 1), date(2024, 1, 4))
    assert result.rows_loaded == 0
    assert con.execute("select count(*) from raw.nps_responses").fetchone() == (0,)


def test_missing_column_names_the_file_and_field(landing: Path, tmp_path: Path):
    path = write_csv(landing, "transactions", "2024-01-02", TX_HEADER.replace(",currency", ""), [])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LandingError, match=rf"{path}: missing column\(s\) currency"):
        load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 4))


def test_malformed_row_names_the_file_and_line(landing: Path, tmp_path: Path):
    write_csv(landing, "transactions", "2024-01-02", TX_HEADER, [tx(4, "2024-01-02") + ",one,too,many"])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LandingError, match=r"dt=2024-01-02/transactions.csv") as info:
        load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 4))
    assert "line" in str(info.value).lower()
    # Nothing of the failed window was half-loaded.
    assert con.execute("select count(*) from raw.transactions").fetchone() == (0,)


PARTNER_ROW = "P{i},Acme {i},owner{i}@acme.example,2023-12-01,NA,US,agency,,,Bob,active,,,2024-01-01T00:00:00+00:00"


def test_malformed_row_error_names_file_and_line_but_never_the_row(landing: Path, tmp_path: Path):
    rows = [PARTNER_ROW.format(i=i) for i in range(1, 4)]
    rows[1] += ",one too many"
    path = write_csv(landing, "partners", "2024-01-02", PARTNER_HEADER, rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LandingError) as info:
        load_window(con, ENTITIES["partners"], landing, date(2024, 1, 1), date(2024, 1, 4))
    message = str(info.value)
    # Line 3 of the file: the header, P1, then the ragged P2 row.
    assert message.startswith(f"{path}: line 3 (data row 2): 15 fields, expected 14")
    assert "owner2@acme.example" not in message and "Acme 2" not in message


def test_not_utf8_names_file_line_and_column_but_never_the_row(landing: Path, tmp_path: Path):
    rows = [PARTNER_ROW.format(i=i) for i in range(1, 60)]
    text = "\n".join([PARTNER_HEADER, *rows]) + "\n"
    folder = landing / "partners" / "dt=2024-01-02"
    folder.mkdir(parents=True)
    path = folder / "partners.csv"
    # A cp1251 company name on line 41 (the header is line 1), after DuckDB's first read buffer starts.
    path.write_bytes(text.replace("Acme 40,", "Ромашка 40,").encode("cp1251"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LandingError) as info:
        load_window(con, ENTITIES["partners"], landing, date(2024, 1, 1), date(2024, 1, 4))
    message = str(info.value)
    assert message.startswith(f"{path}: not UTF-8 at line 41, column 5 (byte 0xd0")
    assert "iconv -f CP1251 -t UTF-8" in message
    assert "owner40@acme.example" not in message


def test_dagster_partition_rerun_is_idempotent(landing: Path, tmp_path: Path):
    warehouse = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"))
    selection = [dg.AssetKey(["raw", "transactions"]), dg.AssetKey(["raw", "partners"])]
    for _ in range(2):
        result = dg.materialize(
            [build_ingestion_assets(build_daily_partitions(date(2020, 1, 1)))],
            partition_key="2024-01-01",
            resources={"warehouse": warehouse},
            selection=selection,
            instance=ephemeral_instance(),
        )
        assert result.success
    mats = {
        e.asset_key.path[-1]: e.materialization.metadata["rows_loaded"].value
        for e in result.get_asset_materialization_events()
    }
    assert mats == {"transactions": 2, "partners": 1}
    con = duckdb.connect(str(tmp_path / "wh" / "work.duckdb"), read_only=True)
    assert con.execute("select count(*), count(distinct transaction_id) from raw.transactions").fetchone() == (2, 2)


def test_source_row_is_the_line_order_of_big_files(tmp_path: Path):
    """_source_row names the data row in the file (header excluded), even when DuckDB reads in parallel."""
    landing = tmp_path / "landing"
    rows = [f"T{i},P1,C1,2024-01-01T10:00:00+00:00,sale,{i}.00,USD,1.00,," for i in range(1, 250_001)]
    write_csv(landing, "transactions", "2024-01-01", TX_HEADER, rows)
    write_csv(landing, "transactions", "2024-01-02", TX_HEADER, rows[:1000])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for _ in range(2):  # the same numbering on every load
        # Forget the loaded days, so the same files are read again rather than kept (day_fingerprints).
        con.execute(f"drop table if exists {FINGERPRINTS_TABLE}")
        load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 3))
        mismatches = con.execute(
            "select count(*) from raw.transactions where 'T' || _source_row <> transaction_id"
        ).fetchone()
        assert mismatches == (0,)


def test_files_scanned_side_by_side_keep_each_files_rows_and_lines(tmp_path: Path, monkeypatch):
    """Five days read by three scans at once (two files, two files, one): every row keeps its own file and line,
    and a bad line in the last scan's file is named as in a single scan."""
    monkeypatch.setattr(ingestion, "SCANS_PER_BATCH", 3)
    monkeypatch.setattr(ingestion, "MIN_SCAN_BYTES", 1)  # these files are small: split them all the same
    landing = tmp_path / "landing"
    days = [f"2024-01-0{d}" for d in range(1, 6)]
    for d, day in enumerate(days, start=1):
        rows = [f"T{d}_{i},P1,C1,{day}T10:00:00+00:00,sale,{i}.00,USD,1.00,," for i in range(1, 1000 * d + 1)]
        write_csv(landing, "transactions", day, TX_HEADER, rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 6))
    assert result.rows_loaded == 15_000  # 1,000 + 2,000 + ... + 5,000
    per_file = con.execute(
        "select regexp_extract(_source_file, 'dt=([0-9-]+)', 1), count(*), max(_source_row) from raw.transactions "
        "where transaction_id = 'T' || right(cast(_partition_date as varchar), 1) || '_' || _source_row "
        "group by 1 order by 1"
    ).fetchall()
    assert per_file == [(day, 1000 * d, 1000 * d) for d, day in enumerate(days, start=1)]

    write_csv(landing, "transactions", "2024-01-05", TX_HEADER, [tx(1, "2024-01-05"), tx(2, "2024-01-05") + ",x"])
    with pytest.raises(LandingError, match=r"dt=2024-01-05/transactions.csv.*line 3"):
        load_window(con, ENTITIES["transactions"], landing, date(2024, 1, 1), date(2024, 1, 6))


def test_the_nul_check_reads_the_files_that_may_hold_a_nul_byte(landing: Path, tmp_path: Path):
    """The fingerprint's read of every byte lists the CSV files with a 0x00 byte and every Parquet file; only a load
    of one of them runs the NUL check, which still finds a NUL inside a Parquet value."""
    entity = ENTITIES["transactions"]
    folders = ingestion.partition_folders(landing, entity, date(2024, 1, 1), date(2024, 1, 4))
    _, nul_files = ingestion.day_fingerprints(folders, entity, date(2024, 1, 1), date(2024, 1, 4), "fail")
    assert sorted(p.name for p in nul_files) == ["transactions.parquet"]  # the two CSV days have none

    bad = write_csv(landing, "transactions", "2024-01-02", TX_HEADER, [tx(4, "2024-01-02").replace(",C1,", ",C\0,")])
    _, nul_files = ingestion.day_fingerprints(folders, entity, date(2024, 1, 1), date(2024, 1, 4), "fail")
    assert bad in nul_files

    # A Parquet value with a NUL byte: marked unreadable, as in a CSV file.
    table = pq.read_table(landing / "transactions" / "dt=2024-01-03" / "transactions.parquet")
    table = table.set_column(2, "customer_id", pa.array(["C\0"]))
    pq.write_table(table, landing / "transactions" / "dt=2024-01-03" / "transactions.parquet")
    write_csv(landing, "transactions", "2024-01-02", TX_HEADER, [])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_window(con, entity, landing, date(2024, 1, 1), date(2024, 1, 4), on_bad_lines="quarantine")
    assert result.rows_unreadable == 1
    assert con.execute(
        "select transaction_id, _unreadable_field from raw.transactions where _unreadable is not null"
    ).fetchall() == [("T3", "customer_id")]


def test_an_optional_column_may_be_absent_and_an_older_raw_table_gains_it(tmp_path: Path):
    """share_of_wallet (contract `optional`) is null for files without it, CSV or Parquet; others must have it."""
    landing = tmp_path / "landing"
    write_csv(landing, "nps_responses", "2024-01-01", "response_id,partner_id,responded_at,score",
              ["R1,P1,2024-01-01T10:00:00+00:00,9"])
    write_csv(landing, "nps_responses", "2024-01-02", ",".join(ENTITIES["nps_responses"].columns),
              ["R2,P1,2024-01-02T10:00:00+00:00,7,62.5"])
    folder = landing / "nps_responses" / "dt=2024-01-03"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table({"response_id": ["R3"], "partner_id": ["P1"], "responded_at": ["2024-01-03T10:00:00+00:00"],
                  "score": ["3"]}),
        folder / "nps_responses.parquet",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    # A raw table created before the optional column was in the contract: the column is added at the end.
    con.execute("create schema raw")
    con.execute(
        "create table raw.nps_responses (response_id varchar, partner_id varchar, responded_at varchar, "
        "score varchar, _partition_date date, _source_file varchar, _source_row bigint, _unreadable varchar, "
        "_unreadable_field varchar)"
    )
    result = load_window(con, ENTITIES["nps_responses"], landing, date(2024, 1, 1), date(2024, 1, 4))
    assert result.rows_loaded == 3
    rows = con.execute(
        "select response_id, score, share_of_wallet, _partition_date from raw.nps_responses order by 1"
    ).fetchall()
    assert rows == [
        ("R1", "9", None, date(2024, 1, 1)),
        ("R2", "7", "62.5", date(2024, 1, 2)),
        ("R3", "3", None, date(2024, 1, 3)),
    ]
    # A required column is still required.
    write_csv(landing, "nps_responses", "2024-01-04", "response_id,partner_id,responded_at", ["R4,P1,x"])
    with pytest.raises(LandingError, match="missing column\\(s\\) score"):
        load_window(con, ENTITIES["nps_responses"], landing, date(2024, 1, 4), date(2024, 1, 5))


def rowids(con: duckdb.DuckDBPyConnection, table: str, key: str) -> dict[str, int]:
    """Each raw row's place in its table, by its key: a row deleted and inserted again gets a new one."""
    return dict(con.execute(f"select {key}, rowid from {table}").fetchall())


def test_a_window_loaded_again_keeps_the_days_whose_files_did_not_change(landing: Path, tmp_path: Path):
    """Three days loaded, then the same window again: nothing is read again and every row keeps its place. Day 2 gets
    a sale: days 2 and 3 are loaded again, day 1 is kept. The bad-lines setting shapes the rows too: changing it
    loads every day again."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    entity, start, end = ENTITIES["transactions"], date(2024, 1, 1), date(2024, 1, 4)
    first = load_window(con, entity, landing, start, end)
    assert (first.days_unchanged, first.rows_loaded) == (0, 3)
    placed = rowids(con, "raw.transactions", "transaction_id")

    again = load_window(con, entity, landing, start, end)
    assert (again.days_unchanged, again.rows_loaded, again.rows_replaced, again.files) == (3, 3, 0, 3)
    assert rowids(con, "raw.transactions", "transaction_id") == placed

    write_csv(landing, "transactions", "2024-01-02", TX_HEADER, [tx(4, "2024-01-02")])
    changed = load_window(con, entity, landing, start, end)
    # Day 1 kept; days 2 (header only before, one sale now) and 3 (the Parquet sale T3) loaded again.
    assert (changed.days_unchanged, changed.rows_loaded, changed.rows_replaced) == (1, 4, 1)
    now = rowids(con, "raw.transactions", "transaction_id")
    assert {k: now[k] for k in ("T1", "T2")} == {k: placed[k] for k in ("T1", "T2")}
    assert now["T3"] != placed["T3"] and "T4" in now

    quarantining = load_window(con, entity, landing, start, end, on_bad_lines="quarantine")
    assert (quarantining.days_unchanged, quarantining.rows_replaced) == (0, 4)


def test_a_day_whose_folder_went_away_is_loaded_again_as_empty(tmp_path: Path):
    """An optional entity's day folder removed after it was loaded: its rows go, the other day's stay in place."""
    landing = tmp_path / "landing"
    header = ",".join(ENTITIES["nps_responses"].columns)
    write_csv(landing, "nps_responses", "2024-01-01", header, ["R1,P1,2024-01-01T10:00:00+00:00,9,"])
    write_csv(landing, "nps_responses", "2024-01-02", header, ["R2,P1,2024-01-02T10:00:00+00:00,7,"])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    entity, start, end = ENTITIES["nps_responses"], date(2024, 1, 1), date(2024, 1, 3)
    load_window(con, entity, landing, start, end)
    placed = rowids(con, "raw.nps_responses", "response_id")
    for path in (landing / "nps_responses" / "dt=2024-01-02").iterdir():
        path.unlink()
    (landing / "nps_responses" / "dt=2024-01-02").rmdir()
    result = load_window(con, entity, landing, start, end)
    assert (result.days_unchanged, result.rows_replaced, result.rows_loaded) == (1, 1, 1)
    assert rowids(con, "raw.nps_responses", "response_id") == {"R1": placed["R1"]}
