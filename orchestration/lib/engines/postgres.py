"""PostgreSQL as the engine (PRA_ENGINE=postgres): tables move by COPY in CSV, both ways (docs/scale-out.md).

Push: DuckDB writes each table as CSV (its own COPY) into a temporary file beside the work file, psycopg2 streams
it into `COPY ... FROM STDIN`. Pull: `COPY ... TO STDOUT` into a temporary file, DuckDB reads it with the column
types the server's catalog declares. CSV keeps decimals and timestamps as exact text; both sessions run in UTC, so
nothing depends on the host's time zone. NULL is an unquoted empty field and an empty string a quoted one ("") on
both sides.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg2
from psycopg2 import sql

from orchestration.lib.engines import drop_view
from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings

# DuckDB type -> PostgreSQL type of a column pushed to the engine or published to PostgreSQL
# (orchestration/lib/publish_postgres.py). The one home of the mapping both ways: POSTGRES_TO_DUCKDB reads the
# server's catalog names back. A type missing here stops the push or the publish with its name rather than guess.
DUCKDB_TO_POSTGRES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "UUID": "uuid",
}
POSTGRES_TO_DUCKDB = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "boolean": "BOOLEAN",
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double precision": "DOUBLE",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
# DuckDB's widest exact decimal: a `numeric` without a declared precision (e.g. a sum) comes back as
# DECIMAL(38, the largest scale among its values).
_MAX_PRECISION = 38


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type of a DuckDB column type (exact decimals keep their precision and scale)."""
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return f"numeric({decimal[1]}, {decimal[2]})"
    try:
        return DUCKDB_TO_POSTGRES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for the DuckDB type {duckdb_type}") from None


def duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """The DuckDB column type of a PostgreSQL column (information_schema names; numeric's declared precision)."""
    if data_type == "numeric":
        if precision is None or scale is None or precision > _MAX_PRECISION:
            raise ValueError("an unconstrained numeric needs its scale from the data (see _numeric_scales)")
        return f"DECIMAL({precision}, {scale})"
    try:
        return POSTGRES_TO_DUCKDB[data_type]
    except KeyError:
        raise ValueError(f"no DuckDB type for the PostgreSQL type {data_type}") from None


@dataclass(frozen=True)
class PostgresEngine:
    """A PostgreSQL server that dbt builds in (profiles.yml target `postgres`, the same PRA_PG_* settings)."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    # The DuckDB side of the copies (the work file's raw tables out, dbt's relations back) is held to this.
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    name: str = "postgres"

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresEngine:
        """The server of PRA_PG_HOST, PRA_PG_PORT, PRA_PG_DATABASE, PRA_PG_USER and PRA_PG_PASSWORD; the DuckDB
        memory limit of PRA_DUCKDB_MEMORY_LIMIT."""
        return cls(
            settings.pg_host,
            settings.pg_port,
            settings.pg_database,
            settings.pg_user,
            settings.pg_password,
            duckdb_memory_limit=settings.duckdb_memory_limit,
        )

    def dbt_env(self) -> dict[str, str]:
        """Nothing beyond `Settings.dbt_env()`, which carries the PRA_PG_* connection and PGTZ."""
        return {}

    @contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        """A connection in UTC; committed when the block ends without an error, else rolled back."""
        con = psycopg2.connect(
            host=self.host,
            port=self.port,
            dbname=self.database,
            user=self.user,
            password=self.password,
            options="-c TimeZone=UTC",
            application_name="pra",
        )
        try:
            with con:
                yield con
        finally:
            con.close()

    def push(self, work_db: Path, schemas: Sequence[str]) -> dict[str, int]:
        """Copy every table of these schemas of the work DuckDB file into the server (replacing what is there)."""
        rows: dict[str, int] = {}
        with (
            closing(_duckdb(work_db, read_only=True, memory_limit=self.duckdb_memory_limit)) as duck,
            self.connect() as pg,
            pg.cursor() as cur,
            tempfile.TemporaryDirectory(dir=work_db.parent, prefix=".push-") as tmp,
        ):
            for schema in schemas:
                cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
                for (table,) in duck.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                    [schema],
                ).fetchall():
                    columns = duck.execute(
                        "select column_name, data_type from information_schema.columns "
                        "where table_schema = ? and table_name = ? order by ordinal_position",
                        [schema, table],
                    ).fetchall()
                    target = sql.Identifier(schema, table)
                    # Cascade: dbt's views on a pushed table go with it; the build recreates them.
                    cur.execute(sql.SQL("drop table if exists {} cascade").format(target))
                    cur.execute(
                        sql.SQL("create table {} ({})").format(
                            target,
                            sql.SQL(", ").join(
                                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(postgres_type(dtype)))
                                for name, dtype in columns
                            ),
                        )
                    )
                    csv = Path(tmp) / f"{schema}.{table}.csv"
                    duck.execute(f"copy {_duck_name(schema, table)} to '{csv}' (format csv, header false)")
                    with csv.open("rb") as f:
                        cur.copy_expert(sql.SQL("copy {} from stdin with (format csv)").format(target), f)
                    rows[f"{schema}.{table}"] = cur.rowcount
                    csv.unlink()
        return rows

    def pull(self, work_db: Path, relations: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Copy these relations built by dbt on the server back into the work DuckDB file, with their comments."""
        rows: dict[str, int] = {}
        with (
            self.connect() as pg,
            pg.cursor() as cur,
            closing(_duckdb(work_db, read_only=False, memory_limit=self.duckdb_memory_limit)) as duck,
            tempfile.TemporaryDirectory(dir=work_db.parent, prefix=".pull-") as tmp,
        ):
            for schema, table in relations:
                columns = _server_columns(cur, schema, table)
                source = sql.Identifier(schema, table)
                csv = Path(tmp) / f"{schema}.{table}.csv"
                with csv.open("wb") as f:
                    cur.copy_expert(sql.SQL("copy (select * from {}) to stdout with (format csv)").format(source), f)
                types = ", ".join(f"{_duck_string(name)}: {_duck_string(dtype)}" for name, dtype, _ in columns)
                target = _duck_name(schema, table)
                duck.execute(f"create schema if not exists {_duck_ident(schema)}")
                drop_view(duck, schema, table)
                duck.execute(
                    f"create or replace table {target} as select * from read_csv({_duck_string(str(csv))}, "
                    f"columns = {{{types}}}, header = false, auto_detect = false, quote = '\"', escape = '\"', "
                    "nullstr = '', allow_quoted_nulls = false)"
                )
                table_comment = _table_comment(cur, schema, table)
                if table_comment:
                    duck.execute(f"comment on table {target} is {_duck_string(table_comment)}")
                for name, _, comment in columns:
                    if comment:
                        duck.execute(f"comment on column {target}.{_duck_ident(name)} is {_duck_string(comment)}")
                rows[f"{schema}.{table}"] = duck.execute(f"select count(*) from {target}").fetchone()[0]
                csv.unlink()
        return rows


def _server_columns(cur, schema: str, table: str) -> list[tuple[str, str, str | None]]:
    """(name, DuckDB type, comment) of a relation on the server, in order; unconstrained numerics get the largest
    scale among their values."""
    cur.execute(
        "select column_name, data_type, numeric_precision, numeric_scale, "
        "col_description(format('%%I.%%I', table_schema, table_name)::regclass, ordinal_position) "
        "from information_schema.columns where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, table],
    )
    found = cur.fetchall()
    if not found:
        raise ValueError(f"{schema}.{table} does not exist on the PostgreSQL engine: nothing to pull")
    open_numerics = [name for name, dtype, precision, _, _ in found if dtype == "numeric" and precision is None]
    scales = dict(zip(open_numerics, _numeric_scales(cur, schema, table, open_numerics), strict=True))
    return [
        (
            name,
            f"DECIMAL({_MAX_PRECISION}, {scales[name]})" if name in scales else duckdb_type(dtype, precision, scale),
            comment,
        )
        for name, dtype, precision, scale, comment in found
    ]


def _numeric_scales(cur, schema: str, table: str, columns: list[str]) -> list[int]:
    """The largest scale among the values of each unconstrained numeric column (0 when all are null)."""
    if not columns:
        return []
    cur.execute(
        sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(sql.SQL("coalesce(max(scale({})), 0)").format(sql.Identifier(c)) for c in columns),
            sql.Identifier(schema, table),
        )
    )
    return [int(s) for s in cur.fetchone()]


def _table_comment(cur, schema: str, table: str) -> str | None:
    cur.execute("select obj_description(format('%%I.%%I', %s, %s)::regclass, 'pg_class')", [schema, table])
    return cur.fetchone()[0]


def _duckdb(work_db: Path, read_only: bool, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(work_db), read_only=read_only, config={"memory_limit": memory_limit})
    con.execute("set TimeZone = 'UTC'")
    return con


def _duck_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duck_name(schema: str, table: str) -> str:
    return f"{_duck_ident(schema)}.{_duck_ident(table)}"


def _duck_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
