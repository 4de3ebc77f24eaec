"""One comparison of published marts between engines (the issue's "equal results"): the same keys (each mart's
`unique`-tested column in the dbt manifest), counts exact, money (decimals) to the cent, floats to 1e-9 (absolute,
or relative for large values), everything else exact. The first difference is named: mart, key and column."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.lib.gx_runner import MANIFEST_PATH, DbtModels

CENT = Decimal("0.005")
FLOAT_TOLERANCE = 1e-9
# Legitimately different between two runs, whatever the engine: the wall-clock time the predictive fit ran.
EXCLUDED_COLUMNS = {("fct_program_predictions", "fitted_at")}


def mart_keys() -> dict[str, str]:
    """Each published mart's key: the column its `unique` test checks (dbt manifest)."""
    published = set(DbtModels.load().published())
    keys = {}
    for node in json.loads(MANIFEST_PATH.read_text())["nodes"].values():
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "unique":
            for parent in node["depends_on"]["nodes"]:
                name = parent.split(".")[-1]
                if name in published:
                    keys[name] = node["column_name"]
    assert set(keys) == published, f"marts without a unique key: {sorted(published - set(keys))}"
    return keys


def rows_by_key(db: Path, mart: str, key: str) -> tuple[list[str], dict]:
    """A published mart's columns and its rows keyed by `key` (a published marts.duckdb file)."""
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(f'select * from main."{mart}"')
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    at = columns.index(key)
    return columns, {row[at]: row for row in rows}


def equal(a, b) -> bool:
    """Decimals to the cent, floats to 1e-9 (absolute, or relative for large values), the rest exactly."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return abs(Decimal(a) - Decimal(b)) < CENT
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return a == b


def assert_published_marts_equal(duckdb_published: Path, other_published: Path, engine: str) -> int:
    """Every published mart of `other_published` (a run on `engine`) equals the DuckDB run's; the marts compared."""
    keys = mart_keys()
    for mart, key in sorted(keys.items()):
        duck_columns, duck_rows = rows_by_key(duckdb_published, mart, key)
        other_columns, other_rows = rows_by_key(other_published, mart, key)
        assert other_columns == duck_columns, f"{mart}: columns differ"
        assert len(other_rows) == len(duck_rows), (
            f"{mart}: {len(other_rows)} rows on {engine}, {len(duck_rows)} on DuckDB"
        )
        assert other_rows.keys() == duck_rows.keys(), (
            f"{mart}: keys only on DuckDB {sorted(duck_rows.keys() - other_rows.keys())[:5]}, "
            f"only on {engine} {sorted(other_rows.keys() - duck_rows.keys())[:5]}"
        )
        compared = [(i, c) for i, c in enumerate(duck_columns) if (mart, c) not in EXCLUDED_COLUMNS]
        for k in sorted(duck_rows, key=str):
            for i, column in compared:
                a, b = duck_rows[k][i], other_rows[k][i]
                assert equal(a, b), f"{mart}, {key}={k}, {column}: DuckDB {a!r}, {engine} {b!r}"
    return len(keys)
