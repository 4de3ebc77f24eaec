"""bench.changed_periods: the periods of each model that differ between two work files, the as-of date left out."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from bench import changed_periods
from tests.helpers import revenue_mart

# Partner x period rows of a mart: (partner_id, month_start_date, net revenue); every row carries the as-of date.
ROWS = [
    ("P1", "2024-01-01", 10),
    ("P2", "2024-01-01", 20),
    ("P1", "2024-02-01", 30),
    ("P2", "2024-02-01", 40),
]


def work_file(folder: Path, rows: list[tuple[str, str, int]], as_of: str, partners: list[str]) -> Path:
    """A work.duckdb with a period mart, a view on it (reading the file's own catalog, as dbt writes them), an
    empty period model and a partner dimension."""
    folder.mkdir()
    db = folder / "work.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema intermediate")
        revenue_mart(con, rows, as_of)
        con.execute("create view marts.fct_revenue_view as select * from work.marts.fct_revenue")
        con.execute("create table intermediate.int_empty (partner_id varchar, month_start_date date)")
        con.execute("create table marts.dim_partners (partner_id varchar)")
        con.executemany("insert into marts.dim_partners values (?)", [(p,) for p in partners])
    return db


def test_only_the_periods_whose_rows_differ_are_reported_whatever_the_as_of_date(tmp_path: Path) -> None:
    before = work_file(tmp_path / "before", ROWS, "2024-02-14", ["P1", "P2"])
    # A night later: P2's February changed, March began (one row), every row has the new as-of date; January's rows
    # are the same but for it, and reordered.
    after_rows = [ROWS[1], ROWS[0], ROWS[2], ("P2", "2024-02-01", 45), ("P1", "2024-03-01", 5)]
    after = work_file(tmp_path / "after", after_rows, "2024-03-01", ["P1", "P2"])

    changes = {
        c.relation: c
        for c in changed_periods.compare(
            changed_periods.file_fingerprints(before, changed_periods.SCHEMAS),
            changed_periods.file_fingerprints(after, changed_periods.SCHEMAS),
        )
    }

    assert set(changes) == {
        "marts.fct_revenue",
        "marts.fct_revenue_view",
        "marts.dim_partners",
        "intermediate.int_empty",
    }
    for mart in ("marts.fct_revenue", "marts.fct_revenue_view"):
        change = changes[mart]
        assert change.changed == ["2024-02-01", "2024-03-01"]
        assert (change.rows_before, change.rows_after, change.periods) == (4, 5, 3)
        assert change.rows_changed_periods == 3  # February's two rows and March's one
        assert change.line == (f"{mart}: rows 4 -> 5, 2 of 3 periods changed (2024-02-01, 2024-03-01; 3 rows)")
    assert changes["marts.dim_partners"].changed == []
    assert changes["marts.dim_partners"].line == "marts.dim_partners: rows 2 -> 2, no period column, unchanged"
    # An empty model still has its period column: none of its (no) periods changed.
    assert changes["intermediate.int_empty"].line == "intermediate.int_empty: rows 0 -> 0, 0 of 0 periods changed"


def test_a_relation_without_periods_is_compared_as_a_whole_and_the_cli_writes_json(tmp_path: Path, capsys) -> None:
    before = work_file(tmp_path / "before", ROWS, "2024-02-14", ["P1", "P2"])
    after = work_file(tmp_path / "after", ROWS, "2024-02-15", ["P1", "P3"])
    out = tmp_path / "changes.json"

    assert changed_periods.main([str(before), str(after), "--schema", "marts", "--json", str(out)]) == 0

    printed = capsys.readouterr().out.splitlines()
    assert "marts.dim_partners: rows 2 -> 2, no period column, changed" in printed
    assert "marts.fct_revenue: rows 4 -> 4, 0 of 2 periods changed" in printed
    assert not any(line.startswith("intermediate.") for line in printed)
    written = {c["relation"]: c for c in json.loads(out.read_text())}
    assert written["marts.dim_partners"]["changed"] == [None]
    assert written["marts.dim_partners"]["periods"] is None
    assert written["marts.fct_revenue"]["changed"] == []


def test_the_summary_counts_the_rows_of_changed_periods_by_schema(tmp_path: Path) -> None:
    before = work_file(tmp_path / "before", ROWS, "2024-02-14", ["P1", "P2"])
    after_rows = [*ROWS[:3], ("P2", "2024-02-01", 45), ("P1", "2024-03-01", 5)]
    after = work_file(tmp_path / "after", after_rows, "2024-03-01", ["P1", "P3"])
    changes = changed_periods.compare(
        changed_periods.file_fingerprints(before, changed_periods.SCHEMAS),
        changed_periods.file_fingerprints(after, changed_periods.SCHEMAS),
    )

    totals = changed_periods.summary(changes)

    # marts: the table and its view, 5 rows each, 3 of them in the two changed periods; the dimension changed.
    assert totals["marts"] == {
        "relations_with_periods": 2,
        "rows": 10,
        "rows_in_changed_periods": 6,
        "share_of_rows": 0.6,
        "relations_by_periods_changed": {"2": 2},
        "relations_without_periods": 1,
        "changed_without_periods": ["marts.dim_partners"],
    }
    assert totals["intermediate"]["relations_by_periods_changed"] == {"0": 1}
    assert totals["intermediate"]["share_of_rows"] == 0.0
    assert changed_periods.summary_line("marts", totals["marts"]) == (
        "marts: 60.0% of the 10 rows of its 2 relations with periods are in changed periods (periods changed per "
        "relation: 2 x2); 1 of its 1 relations without periods changed"
    )
