"""The restricted at-risk export: owner-only file mode and the list's rows in rank order, on a tiny warehouse."""

import csv
import stat
from pathlib import Path

import duckdb

from orchestration.lib.restricted import export_at_risk_list


def _warehouse(tmp_path: Path, with_table: bool = True) -> Path:
    db = tmp_path / "work.duckdb"
    with duckdb.connect(str(db)) as con:
        if with_table:
            con.execute("create schema internal")
            con.execute(
                "create table internal.internal_partners_at_risk_contacts as "
                "select * from (values (2, 'P2', 'Beta, Inc.', 'Ann'), (1, 'P1', 'Alpha', 'Bob')) "
                "as t(risk_rank, partner_id, partner_name, account_manager)"
            )
    return db


def test_export_is_owner_only_and_in_rank_order(tmp_path):
    warehouse = tmp_path / "warehouse"
    (warehouse / "restricted").mkdir(parents=True)
    (warehouse / "restricted" / "partners_at_risk.csv").write_text("stale")
    (warehouse / "restricted" / "partners_at_risk.csv").chmod(0o644)
    path, rows = export_at_risk_list(_warehouse(tmp_path), warehouse)
    assert path == warehouse / "restricted" / "partners_at_risk.csv" and rows == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # replaced by a file created 0600, not the old 0644 one
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with path.open(newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["risk_rank", "partner_id", "partner_name", "account_manager"],
            ["1", "P1", "Alpha", "Bob"],
            ["2", "P2", "Beta, Inc.", "Ann"],
        ]


def test_no_table_no_file(tmp_path):
    assert export_at_risk_list(_warehouse(tmp_path, with_table=False), tmp_path / "warehouse") is None
    assert not (tmp_path / "warehouse").exists()
