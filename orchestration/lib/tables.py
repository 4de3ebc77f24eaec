"""Small questions about a DuckDB database's tables, asked by several steps (rejudging, exports, the report)."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists in the connection's database."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(row and row[0])
