"""PostgreSQL as a second publish target for BI tools: each published version as a schema, swapped in by views.

In the database PRA_PUBLISH_PG_DATABASE (docs/scale-out.md, "PostgreSQL for BI"):

- `pra_v0007`: version 7's marts as tables, loaded with COPY from the version's own `marts.duckdb` (so the
  personal columns publication left out stay out), and a one-row `publication` table (version, as of, when, run).
- `pra_v0007_restricted`: the work warehouse's restricted tables (`internal` schema: the at-risk list and the
  scorecards with names), loaded in the same transaction.
- `marts`: one view per mart (`select * from pra_v0007.<mart>`) and `marts.publication`: what BI tools read.
- `restricted`: one view per restricted table, for the partner-management role only.

Write-audit-publish: the version schema is loaded and checked (row counts and columns against what the DuckDB
publish counted) in one transaction, then every view of `marts` and `restricted` is dropped and created again,
pointing at the new schema, in a second transaction. PostgreSQL DDL is transactional: a BI query sees the old
views or the new ones, never a mix, and one that arrives during the swap waits for it (milliseconds) instead of
failing. Versions are kept like the DuckDB files (PRA_KEEP_VERSIONS); a rollback points the views at a kept
schema. The pipeline's login role owns everything; the group roles get USAGE and SELECT on the views only, so
they can read no version schema, no work data.

The password never leaves this module's connect call: errors are re-raised with it blanked (`scrub`), the
settings' repr hides it. No Dagster here.
"""

from __future__ import annotations

import io
import random
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.engines.postgres import postgres_type
from orchestration.lib.restricted import RESTRICTED_SCHEMA, restricted_tables
from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings

STABLE_SCHEMA = "marts"
RESTRICTED_VIEWS_SCHEMA = "restricted"
PUBLICATION_TABLE = "publication"
VERSION_SCHEMA = re.compile(r"^pra_v(\d{4,})$")
# One publisher or rollback at a time on a database, whichever machine runs it (pg_advisory_lock key).
ADVISORY_LOCK_KEY = 0x505241  # "PRA"
COPY_BATCH_ROWS = 100_000
# The swap takes every view's lock in one statement that may wait this long, else it lets go and tries again. A BI
# query that already holds one view and wants another the swap holds would otherwise deadlock with it (measured:
# 15 reader queries killed by the deadlock detector over 5 publishes when the views were dropped one
# by one). Kept well below PostgreSQL's deadlock_timeout (1 s by default), so the swap always yields first.
SWAP_LOCK_WAIT = "250ms"
SWAP_ATTEMPTS = 120


@dataclass(frozen=True)
class PostgresTarget:
    """Where and as whom to publish, the group roles to grant, and how many versions to keep."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    sslmode: str = "prefer"
    bi_role: str = "pra_bi"
    partner_role: str = "pra_partner_managers"
    keep_versions: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresTarget | None:
        """The PRA_PUBLISH_PG_* settings; None while PRA_PUBLISH_PG_HOST is empty (the target is off)."""
        if not settings.publish_pg_host:
            return None
        return cls(
            host=settings.publish_pg_host,
            port=settings.publish_pg_port,
            database=settings.publish_pg_database,
            user=settings.publish_pg_user,
            password=settings.publish_pg_password,
            sslmode=settings.publish_pg_sslmode,
            bi_role=settings.publish_pg_bi_role,
            partner_role=settings.publish_pg_partner_role,
            keep_versions=settings.keep_versions,
        )

    def describe(self) -> str:
        """`user@host:port/database`, for logs and metadata (never the password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


class PostgresPublishError(RuntimeError):
    """A PostgreSQL publish or rollback that did not happen; the message never holds the password."""


def scrub(text: str, target: PostgresTarget) -> str:
    """`text` with the password blanked: for any error text that leaves this module."""
    return text.replace(target.password, "***") if target.password else text


@contextmanager
def _connect(target: PostgresTarget) -> Iterator[Any]:
    """A connection as the pipeline role; connection errors come out as PostgresPublishError, scrubbed."""
    import psycopg2

    try:
        con = psycopg2.connect(
            host=target.host,
            port=target.port,
            dbname=target.database,
            user=target.user,
            password=target.password,
            sslmode=target.sslmode,
            connect_timeout=10,
            application_name="pra-publish",
        )
    except psycopg2.Error as exc:
        raise PostgresPublishError(
            f"cannot connect to {target.describe()}: {scrub(str(exc).strip(), target)}"
        ) from None
    try:
        yield con
    finally:
        con.close()


def schema_name(version: int) -> str:
    """The schema holding published version `version`: pra_v0007."""
    return f"pra_v{version:04d}"


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB column type (the engines' one mapping); unknown types fail loudly
    rather than turn into text."""
    try:
        return postgres_type(duckdb_type.upper())
    except ValueError as exc:
        raise PostgresPublishError(str(exc)) from None


@dataclass(frozen=True)
class _Table:
    """A table to load: where it comes from, its columns (name, DuckDB type, comment) and its comment."""

    name: str
    source: str
    columns: list[tuple[str, str, str | None]]
    comment: str | None


def restricted_schema_name(version: int) -> str:
    """The schema holding version `version`'s restricted tables: pra_v0007_restricted."""
    return f"{schema_name(version)}_restricted"


def _describe_tables(con: duckdb.DuckDBPyConnection, database: str, schema: str, names: Sequence[str]) -> list[_Table]:
    """Columns, types and comments of `names` in `database.schema` (the comments dbt wrote from its doc blocks)."""
    tables = []
    for name in names:
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? order by column_index",
            [database, schema, name],
        ).fetchall()
        if not columns:
            raise PostgresPublishError(f"{database}.{schema}.{name} is missing")
        (comment,) = con.execute(
            "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [database, schema, name],
        ).fetchone()
        tables.append(_Table(name, f'{database}.{schema}."{name}"', columns, comment or None))
    return tables


def _copy_table(cur: Any, con: duckdb.DuckDBPyConnection, table: _Table, schema: str) -> None:
    """Create `schema.table` and fill it with COPY from CSV that DuckDB and Arrow write in memory, batch by batch."""
    import pyarrow.csv as pa_csv
    from psycopg2 import sql

    target = sql.Identifier(schema, table.name)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type(dtype))) for name, dtype, _ in table.columns
    )
    cur.execute(sql.SQL("create table {} ({})").format(target, columns))
    copy = sql.SQL("copy {} from stdin with (format csv)").format(target).as_string(cur)
    # Arrow writes NULL as an empty field and every string quoted, so '' stays an empty string in PostgreSQL.
    options = pa_csv.WriteOptions(include_header=False)
    reader = con.execute(f"select * from {table.source}").to_arrow_reader(COPY_BATCH_ROWS)
    for batch in reader:
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, options)
        buffer.seek(0)
        cur.copy_expert(copy, buffer)
    if table.comment:
        cur.execute(sql.SQL("comment on table {} is %s").format(target), [table.comment])
    for name, _, comment in table.columns:
        if comment:
            cur.execute(sql.SQL("comment on column {}.{} is %s").format(target, sql.Identifier(name)), [comment])


def _ensure_roles(cur: Any, target: PostgresTarget) -> None:
    """Create the BI and partner-management group roles (NOLOGIN) if missing; say what to run if not allowed."""
    import psycopg2
    from psycopg2 import sql

    for role in (target.bi_role, target.partner_role):
        cur.execute("select 1 from pg_roles where rolname = %s", [role])
        if cur.fetchone():
            continue
        cur.execute("savepoint create_role")
        try:
            cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        except psycopg2.errors.InsufficientPrivilege:
            cur.execute("rollback to savepoint create_role")
            raise PostgresPublishError(
                f"role {role} does not exist and {target.user} may not create roles: as an administrator, run "
                f"CREATE ROLE {role} NOLOGIN (or give {target.user} CREATEROLE)"
            ) from None


def _schemas(cur: Any) -> list[int]:
    """Versions that have a schema in the database, oldest first."""
    cur.execute("select nspname from pg_namespace where nspname like 'pra\\_v%'")
    return sorted(int(m.group(1)) for (name,) in cur.fetchall() if (m := VERSION_SCHEMA.match(name)))


def _live(cur: Any) -> int | None:
    """The version the stable views read now (None before the first publish)."""
    cur.execute("select to_regclass(%s)", [f"{STABLE_SCHEMA}.{PUBLICATION_TABLE}"])
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"select version from {STABLE_SCHEMA}.{PUBLICATION_TABLE}")
    row = cur.fetchone()
    return None if row is None else int(row[0])


def _swap(cur: Any, target: PostgresTarget, version: int) -> float:
    """Point every view of `marts` and `restricted` at `version`'s schema, grants and comments included.

    Everything is prepared first; then the old views' locks are taken at once and the new views created in one
    round trip. The caller commits: until then no reader sees any of it, after it every reader sees all of it.
    Returns when (time.perf_counter) the locks were held.
    """
    from psycopg2 import sql

    for name in (STABLE_SCHEMA, RESTRICTED_VIEWS_SCHEMA):
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(name)))
    cur.execute(
        "select schemaname, viewname from pg_views where schemaname in (%s, %s) order by 1, 2",
        [STABLE_SCHEMA, RESTRICTED_VIEWS_SCHEMA],
    )
    views = [sql.Identifier(view_schema, view) for view_schema, view in cur.fetchall()]
    statements = [sql.SQL("drop view {}").format(view) for view in views]
    cur.execute(
        "select n.nspname, c.relname, obj_description(c.oid, 'pg_class'), "
        "array_agg(a.attname order by a.attnum), array_agg(col_description(c.oid, a.attnum) order by a.attnum) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where n.nspname in (%s, %s) and c.relkind = 'r' group by n.nspname, c.relname, c.oid order by c.relname",
        [schema_name(version), restricted_schema_name(version)],
    )
    for schema, table, comment, columns, comments in cur.fetchall():
        view_schema = STABLE_SCHEMA if schema == schema_name(version) else RESTRICTED_VIEWS_SCHEMA
        view = sql.Identifier(view_schema, table)
        statements.append(sql.SQL("create view {} as select * from {}").format(view, sql.Identifier(schema, table)))
        if comment:
            statements.append(sql.SQL("comment on view {} is {}").format(view, sql.Literal(comment)))
        for column, column_comment in zip(columns, comments, strict=True):
            if column_comment:
                statements.append(
                    sql.SQL("comment on column {}.{} is {}").format(
                        view, sql.Identifier(column), sql.Literal(column_comment)
                    )
                )
    names = {
        "bi": sql.Identifier(target.bi_role),
        "partner": sql.Identifier(target.partner_role),
        "stable": sql.Identifier(STABLE_SCHEMA),
        "restricted": sql.Identifier(RESTRICTED_VIEWS_SCHEMA),
    }
    for statement in (
        "revoke all on schema {restricted} from public",
        "grant usage on schema {stable} to {bi}, {partner}",
        "grant select on all tables in schema {stable} to {bi}, {partner}",
        "grant usage on schema {restricted} to {partner}",
        "grant select on all tables in schema {restricted} to {partner}",
    ):
        statements.append(sql.SQL(statement).format(**names))
    if views:
        # All at once or not at all (the caller retries): never holding some views while waiting for others.
        cur.execute(f"set local statement_timeout = '{SWAP_LOCK_WAIT}'")
        cur.execute(sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(views)))
        cur.execute("set local statement_timeout = 0")
    locked = time.perf_counter()
    cur.execute(sql.SQL(";\n").join(statements))
    return locked


def _swap_in(con: Any, target: PostgresTarget, version: int) -> tuple[float, int]:
    """`_swap` and commit, retried while BI queries hold the views; (milliseconds the locks were held, attempts)."""
    import psycopg2

    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with con.cursor() as cur:
                locked = _swap(cur, target, version)
            con.commit()
            return (time.perf_counter() - locked) * 1000, attempt
        except psycopg2.errors.QueryCanceled:
            con.rollback()
            time.sleep(random.uniform(0.02, 0.1))
    raise PostgresPublishError(
        f"the views could not be swapped to version {version}: BI queries held them through {SWAP_ATTEMPTS} attempts"
    )


def _prune(con: Any, keep: int, live: int) -> list[int]:
    """Drop version schemas beyond the newest `keep` (never the live one); one still being read is left for later."""
    import psycopg2
    from psycopg2 import sql

    with con.cursor() as cur:
        versions = _schemas(cur)
    dropped = []
    for version in [v for v in versions[:-keep] if v != live] if len(versions) > keep else []:
        try:
            with con.cursor() as cur:
                cur.execute("set lock_timeout = '5s'")
                for schema in (schema_name(version), restricted_schema_name(version)):
                    cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
            con.commit()
            dropped.append(version)
        except psycopg2.errors.LockNotAvailable:
            con.rollback()  # a BI query still reads it through an old snapshot: the next publish drops it
    return dropped


@contextmanager
def _publisher(target: PostgresTarget) -> Iterator[Any]:
    """A connection holding the publish lock of the database (released when it closes)."""
    with _connect(target) as con:
        with con.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        con.commit()
        yield con


def publish_version(
    target: PostgresTarget,
    entry: Mapping[str, Any],
    version_db: Path,
    work_db: Path,
    *,
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT,
) -> dict[str, Any]:
    """Load the DuckDB version just published (`entry`, its file `version_db`) into its schema, gate it, swap it in.

    The restricted tables come from the work warehouse's `internal` schema. Returns what happened: version,
    schema, row counts, seconds to load, milliseconds the swap held its locks, pruned versions. `memory_limit`:
    the reading DuckDB connection's, as for the run's other connections (PRA_DUCKDB_MEMORY_LIMIT).
    """
    import psycopg2
    from psycopg2 import sql

    version, row_counts = int(entry["version"]), dict(entry["row_counts"])
    schema, restricted_schema = schema_name(version), restricted_schema_name(version)
    try:
        with _publisher(target) as con:
            started = time.perf_counter()
            with con.cursor() as cur:
                # A statement_timeout meant for BI sessions (set on the database) must not cut a large COPY short.
                cur.execute("set local statement_timeout = 0")
                live = _live(cur)
                if live == version:
                    raise PostgresPublishError(f"version {version} is already live in {target.describe()}")
                _ensure_roles(cur, target)
                # A schema of this number that is not live is a leftover (a DuckDB history started over): replace it.
                for name in (schema, restricted_schema):
                    cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
                    cur.execute(sql.SQL("create schema {}").format(sql.Identifier(name)))
                with duckdb.connect(config={"memory_limit": memory_limit}) as duck:
                    duck.execute(f"attach '{version_db}' as version (read_only)")
                    duck.execute(f"attach '{work_db}' as work (read_only)")
                    marts = _describe_tables(duck, "version", "main", sorted(row_counts))
                    restricted = _describe_tables(duck, "work", RESTRICTED_SCHEMA, restricted_tables(duck, "work"))
                    expected = {
                        **row_counts,
                        **{t.name: duck.execute(f"select count(*) from {t.source}").fetchone()[0] for t in restricted},
                    }
                    for table in marts:
                        _copy_table(cur, duck, table, schema)
                    for table in restricted:
                        _copy_table(cur, duck, table, restricted_schema)
                cur.execute(
                    sql.SQL(
                        "create table {} as select %s::integer as version, %s::date as as_of_date, "
                        "%s::timestamp as published_at, %s::text as run_id"
                    ).format(sql.Identifier(schema, PUBLICATION_TABLE)),
                    [version, entry.get("as_of_date"), entry.get("published_at"), entry.get("run_id")],
                )
                _gate(cur, schema, marts, expected)
                _gate(cur, restricted_schema, restricted, expected)
            con.commit()
            loaded = time.perf_counter() - started
            swap_ms, attempts = _swap_in(con, target, version)
            pruned = _prune(con, target.keep_versions, version)
    except psycopg2.Error as exc:
        raise PostgresPublishError(
            f"version {version} not published to {target.describe()}: {scrub(str(exc).strip(), target)}"
        ) from None
    return {
        "version": version,
        "schema": schema,
        "previous_version": live,
        "row_counts": expected,
        "load_seconds": round(loaded, 2),
        "swap_ms": round(swap_ms, 1),
        "swap_attempts": attempts,
        "pruned_versions": pruned,
        "target": target.describe(),
    }


def _gate(cur: Any, schema: str, tables: Sequence[_Table], expected: Mapping[str, int]) -> None:
    """The audit before the swap: every table has the source's columns in order and its row count."""
    from psycopg2 import sql

    problems = []
    for table in tables:
        name = table.name
        cur.execute(
            "select array_agg(column_name::text order by ordinal_position) from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            [schema, name],
        )
        columns = cur.fetchone()[0] or []
        if columns != [c for c, _, _ in table.columns]:
            problems.append(f"{name}: columns {columns} differ from the source's")
        cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name)))
        count = cur.fetchone()[0]
        if count != expected[name]:
            problems.append(f"{name}: {count} rows loaded, {expected[name]} in the source")
    if problems:
        raise PostgresPublishError(f"{schema} failed its check and was not swapped in: " + "; ".join(problems))


def rollback(target: PostgresTarget, version: int) -> dict[str, Any]:
    """Point the stable views at kept version `version` again; fails (saying why) when it is not kept there."""
    import psycopg2

    try:
        with _publisher(target) as con:
            with con.cursor() as cur:
                kept = _schemas(cur)
                live = _live(cur)
            con.commit()
            if version not in kept:
                raise PostgresPublishError(
                    f"version {version} is not kept in {target.describe()} (kept: "
                    f"{', '.join(map(str, kept)) or 'none'}); BI on PostgreSQL still reads version {live}"
                )
            _swap_in(con, target, version)
    except psycopg2.Error as exc:
        raise PostgresPublishError(
            f"rollback to version {version} in {target.describe()} failed: {scrub(str(exc).strip(), target)}"
        ) from None
    return {"version": version, "rolled_back_from": live, "target": target.describe()}


def status(target: PostgresTarget) -> dict[str, Any]:
    """The live version, its as-of date and publish time, and the kept versions."""
    import psycopg2

    try:
        with _connect(target) as con, con.cursor() as cur:
            kept, live = _schemas(cur), _live(cur)
            as_of = published_at = None
            if live is not None:
                cur.execute(f"select as_of_date, published_at from {STABLE_SCHEMA}.{PUBLICATION_TABLE}")
                as_of, published_at = cur.fetchone()
    except psycopg2.Error as exc:
        raise PostgresPublishError(f"cannot read {target.describe()}: {scrub(str(exc).strip(), target)}") from None
    return {"live_version": live, "as_of_date": as_of, "published_at": published_at, "kept_versions": kept}


def status_line(target: PostgresTarget) -> str:
    """One line for `pra versions`: what BI on PostgreSQL reads now, or why that is unknown."""
    try:
        state = status(target)
    except PostgresPublishError as exc:
        return f"PostgreSQL {target.describe()}: {exc}"
    if state["live_version"] is None:
        return f"PostgreSQL {target.describe()}: nothing published yet"
    kept = ", ".join(map(str, state["kept_versions"]))
    return (
        f"PostgreSQL {target.describe()}: version {state['live_version']} live in schema {STABLE_SCHEMA} "
        f"(as of {state['as_of_date']}, published {state['published_at']:%Y-%m-%dT%H:%M:%S}); kept versions: {kept}"
    )
