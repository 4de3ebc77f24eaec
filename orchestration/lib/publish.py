"""Write-audit-publish: copy the audited marts into a new published version and swap it in atomically.

Layout under `<warehouse>/published/`: `v0001/` (marts.duckdb, one Parquet per mart, publish_log.json),
`publish_log.json` (every publish and rollback), `.lock`. BI tools open the stable path
(`PRA_PUBLISHED_DB`, default `<warehouse>/marts.duckdb`), which is only ever replaced by `os.replace`:
readers holding the old file keep its inode, new readers get the new version, never a mix.

CLI: `python -m orchestration.lib.publish list|rollback <version>` (see docs/operations.md).
No Dagster here.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, Settings

LOG_NAME = "publish_log.json"
DB_NAME = "marts.duckdb"
# Besides the landing contract's `personal` columns, any column named like an e-mail address is left out.
PERSONAL_SUFFIXES = ("_email",)
# Below this absolute change a restated number is rounding noise (money has 4 decimals).
RESTATEMENT_EPSILON = 0.005
# The contract's period column and as-of column: a mart's rows are compared and copied period by period, and the
# as-of date, on every row, is left out of the comparison.
PERIOD_COLUMN = "month_start_date"
AS_OF_COLUMN = "as_of_date"
# How a version's copies order their rows (`_row_order`), kept in its log entry: a version whose entry says so is
# the start of the next one, which copies only the periods that changed. Any other (older) version is not reused.
ROW_ORDER = "period, then every column"
# The publish log's tables inside each version's file (beside the marts).
LOG_TABLES = ("publish_log", "publish_restatements")


@dataclass(frozen=True)
class PublishSettings:
    """Where published versions go and how many to keep."""

    work_db: Path
    published_dir: Path
    stable_db: Path
    keep_versions: int = 5
    personal_columns_allowed: frozenset[str] = frozenset()
    # The copies sort every mart: without a limit DuckDB may take 80 % of the machine (PRA_DUCKDB_MEMORY_LIMIT).
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT

    @classmethod
    def from_settings(cls, settings: Settings) -> PublishSettings:
        """PRA_WAREHOUSE_DIR, PRA_PUBLISHED_DB, PRA_KEEP_VERSIONS, PRA_PUBLISH_PERSONAL_COLUMNS, parsed."""
        return cls(
            work_db=settings.work_db,
            published_dir=settings.published_dir,
            stable_db=settings.published_db,
            keep_versions=settings.keep_versions,
            personal_columns_allowed=settings.publish_personal_columns,
            memory_limit=settings.duckdb_memory_limit,
        )


def personal_columns() -> frozenset[str]:
    """Columns the landing contract flags as personal data (they are never published unless allowed)."""
    from orchestration.lib.contract import ENTITIES

    return frozenset(name for entity in ENTITIES.values() for name in entity.personal_columns)


def is_personal(column: str, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether a column identifies a person and must stay out of published files."""
    if column in allowed:
        return False
    return column in personal_columns() or column.endswith(PERSONAL_SUFFIXES)


def read_log(published_dir: Path) -> list[dict[str, Any]]:
    """publish_log.json as written: every publish and rollback so far, oldest first (see `live_log`)."""
    path = published_dir / LOG_NAME
    return json.loads(path.read_text()) if path.exists() else []


def current_entry(log: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The log entry of the version BI tools see now (the last publish or rollback)."""
    return dict(log[-1]) if log else None


def live_version_db(settings: PublishSettings) -> Path | None:
    """The live version's own file, `published/vNNNN/marts.duckdb`: for processes that keep connections open.

    DuckDB keeps one database instance per path in a process: while any connection to the stable path is
    open, a new connection to it still reads the file it opened first, not the one a publish swapped in.
    Every version has its own path, so a long-lived reader that opens this path after each publish reads
    the new version at once (a rollback names the kept version's file, whose marts are the same).
    """
    entry = current_entry(live_log(settings))
    if entry is None:
        return None
    path = _version_dir(settings.published_dir, int(entry["version"])) / DB_NAME
    return path if path.exists() else None


def previous_for(mart: str, log: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Row count and key metrics of `mart` in the live version, for the gate's volume comparison."""
    entry = current_entry(log)
    if not entry or mart not in entry.get("row_counts", {}):
        return None
    return {"row_count": entry["row_counts"][mart], "key_metrics": entry.get("key_metrics", {}).get(mart, {})}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` (bytes as they are, str as UTF-8) to a temporary file, fsync it, rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


@contextmanager
def _lock(published_dir: Path, *, wait: bool = True) -> Iterator[bool]:
    """One publisher or rollback at a time (the lock dies with its process, so a kill never leaves it held).

    Yields whether the lock is held: with `wait=False` it is not taken while someone else holds it.
    """
    published_dir.mkdir(parents=True, exist_ok=True)
    with open(published_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _version_dir(published_dir: Path, version: int) -> Path:
    return published_dir / f"v{version:04d}"


def _existing_versions(published_dir: Path) -> list[int]:
    return sorted(int(p.name[1:]) for p in published_dir.glob("v[0-9][0-9][0-9][0-9]") if p.is_dir())


def _clean_leftovers(published_dir: Path, log: Sequence[Mapping[str, Any]], stable_db: Path) -> None:
    """Remove temp files and version folders a killed publish left behind (not in the reconciled log)."""
    temps = [
        *published_dir.glob(".v*.tmp-*"),
        *published_dir.glob(f".{LOG_NAME}.tmp-*"),
        *stable_db.parent.glob(f".{stable_db.name}.tmp-*"),
    ]
    for tmp in temps:
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    logged = {e["version"] for e in log}
    # The log was reconciled with the live file first, so the live version is always among the logged ones.
    for v in _existing_versions(published_dir):
        if v not in logged:
            shutil.rmtree(_version_dir(published_dir, v))


def _entry_key(entry: Mapping[str, Any]) -> tuple[int, str, str]:
    """What identifies a log entry in both homes of the log (JSON and the file's `publish_log` table)."""
    return entry["version"], entry["event"], str(entry["published_at"])


def _file_log(stable_db: Path) -> list[dict[str, Any]] | None:
    """The publish log inside the live stable file, as JSON log entries; None without a file or a log table.

    The file holds every field of every entry up to its own (restatements in `publish_restatements`), so it
    can repair a JSON log that a kill left one write behind.
    """
    if not stable_db.exists():
        return None
    with duckdb.connect(str(stable_db), read_only=True) as con:
        try:
            log = con.execute("select * from publish_log order by entry_number")
            names = [d[0] for d in log.description]
            rows = [dict(zip(names, row, strict=True)) for row in log.fetchall()]
            changes = con.execute(
                "select version, mart, metric, month_start_date, previous, current, change, change_pct "
                "from publish_restatements order by rowid"
            ).fetchall()
        except duckdb.CatalogException:
            return None
    by_version: dict[int, list[dict[str, Any]]] = {}
    for version, mart, metric, month, previous, current, change, change_pct in changes:
        by_version.setdefault(version, []).append(
            {
                "mart": mart,
                "metric": metric,
                "month_start_date": str(month),
                "previous": previous,
                "current": current,
                "change": change,
                "change_pct": change_pct,
            }
        )
    entries = []
    for row in rows:
        version, event, as_of = row["version"], row["event"], row["as_of_date"]
        entry = {
            "version": version,
            "event": event,
            "as_of_date": None if as_of is None else str(as_of),
            "run_id": row["run_id"],
            "published_at": row["published_at"].isoformat(timespec="seconds"),
            "row_counts": json.loads(row["row_counts"]),
            "key_metrics": json.loads(row["key_metrics"]),
            "check_results": json.loads(row["check_results"]),
            "restatements": by_version.get(version, []) if event == "publish" else [],
        }
        # A file written before versions kept their row order has no such column.
        if row.get("row_order") is not None:
            entry["row_order"] = row["row_order"]
        if event == "rollback":
            entry["rolled_back_from"] = row["rolled_back_from"]
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class _LiveState:
    """The JSON log reconciled with the live file: `log` (repaired), `repaired`, and `conflict` (why not)."""

    log: list[dict[str, Any]]
    live_version: int | None
    repaired: bool = False
    conflict: str | None = None


def _live_state(settings: PublishSettings) -> _LiveState:
    """Compare publish_log.json with the live file's own log; the file wins when the JSON log is behind it.

    Every write puts the stable file in place before the JSON log, so a kill between the two leaves the JSON
    log a prefix of the file's: the missing entries are appended (a publish's from its version folder's
    publish_log.json, else from the file). Any other disagreement (the stable file replaced by hand) is a
    conflict, reported and never guessed at.
    """
    pdir = settings.published_dir
    log = read_log(pdir)
    in_file = _file_log(settings.stable_db)
    if not in_file:
        return _LiveState(log, log[-1]["version"] if log else None)
    live_version = in_file[-1]["version"]
    keys, file_keys = [_entry_key(e) for e in log], [_entry_key(e) for e in in_file]
    if keys == file_keys:
        return _LiveState(log, live_version)
    if file_keys[: len(keys)] == keys:
        missing = []
        for entry in in_file[len(keys) :]:
            saved = _version_dir(pdir, entry["version"]) / LOG_NAME
            if entry["event"] == "publish" and saved.exists():
                from_folder = json.loads(saved.read_text())
                entry = from_folder if _entry_key(from_folder) == _entry_key(entry) else entry
            missing.append(entry)
        return _LiveState([*log, *missing], live_version, repaired=True)
    n, last = len(in_file), (log[-1]["version"] if log else None)
    conflict = (
        f"the live file {settings.stable_db} holds version {live_version} (log entry {n}) but "
        f"{pdir / LOG_NAME} says version {last} (log entry {len(log)}) is live; it was replaced by hand. "
        f"Make them agree with a rollback to a kept version (pra rollback <version>)"
    )
    return _LiveState(log, live_version, conflict=conflict)


def live_log(settings: PublishSettings) -> list[dict[str, Any]]:
    """Every publish and rollback, oldest first, agreeing with the live file (repaired and saved if needed)."""
    return _current_state(settings).log


def _current_state(settings: PublishSettings) -> _LiveState:
    """The reconciled state; the repair is saved unless a publish or rollback holds the lock right now."""
    with _lock(settings.published_dir, wait=False) as locked:
        return _reconcile(settings) if locked else _live_state(settings)


def _reconcile(settings: PublishSettings) -> _LiveState:
    """Under the lock: repair publish_log.json from the live file if a kill left it behind, then clean up."""
    state = _live_state(settings)
    if state.repaired:
        _write_atomic(settings.published_dir / LOG_NAME, json.dumps(state.log, indent=2, default=str))
    if state.conflict is None:
        _clean_leftovers(settings.published_dir, state.log, settings.stable_db)
    return state


def period_fingerprints(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str]
) -> dict[str | None, tuple[int, int]]:
    """The row count and an order-free hash of the rows of each period (`PERIOD_COLUMN`, as ISO text) of a relation.

    `relation` is its SQL name, `columns` its columns; `AS_OF_COLUMN` is left out of the hash (every row of a period
    mart carries the run's as-of date, so every row would differ after any run). One entry (None) for a relation
    without a period column; None is also the key of rows without a period. DuckDB's 64-bit `hash()` of each row,
    summed as a hugeint: the same whatever the rows' order, and a row counted as often as it occurs.
    """
    kept = ", ".join(f'"{c}"' for c in columns if c != AS_OF_COLUMN)
    period = f'cast("{PERIOD_COLUMN}" as varchar)' if PERIOD_COLUMN in columns else "null"
    rows = con.execute(
        f"select {period} as period, count(*), coalesce(sum(cast(hash(r) as hugeint)), 0) "
        f"from (select {kept} from {relation}) as r group by all"
    ).fetchall()
    return {p: (int(n), int(h)) for p, n, h in rows}


def _row_order(columns: Sequence[str]) -> str:
    """The ORDER BY of a mart's copy (`ROW_ORDER`): by period first when it has one, then by every column."""
    listed = ", ".join(f'"{c}"' for c in columns)
    return f'"{PERIOD_COLUMN}", {listed}' if PERIOD_COLUMN in columns else listed


def _first_changed_period(
    before: Mapping[str | None, tuple[int, int]], after: Mapping[str | None, tuple[int, int]]
) -> str:
    """The oldest period whose rows differ between two fingerprints (ISO date); "all" when a row without a period
    differs (or the relation has no periods and changed); "none" when nothing differs."""
    changed = [p for p in before.keys() | after.keys() if before.get(p) != after.get(p)]
    if not changed:
        return "none"
    return "all" if None in changed else min(changed)


def _copy_marts(
    con: duckdb.DuckDBPyConnection, marts: Sequence[str], allowed: frozenset[str], *, reuse_previous: bool
) -> tuple[dict[str, int], dict[str, str]]:
    """Copy each mart from the attached work warehouse, without personal columns, rows in a fixed order.

    Names and types are the dbt model contract's; the table and column comments dbt wrote from the doc blocks
    (persist_docs) are copied too, so a BI tool's column list shows the descriptions. Rows are in `ROW_ORDER`.

    `reuse_previous`: the new file starts as a copy of the previous version's (in the same `ROW_ORDER`). A mart
    whose table there has the same columns and types, and one as-of date in the work warehouse, keeps its rows
    before the oldest period the work warehouse changed (per-period fingerprints, the as-of date left out), those
    rows take the new as-of date, and only the periods from that one on are copied, sorted, after them: the same rows
    in the same order as a whole copy, so the same Parquet bytes. Any other mart is copied whole, and tables of marts
    no longer published are dropped.

    Returns the row counts and, per mart, the first period copied from the work warehouse: an ISO date, "all"
    (copied whole), or "none" (no period changed: only the as-of date moved).
    """
    work_columns = relation_columns(con, "work", "marts")
    (own,) = con.execute("select current_database()").fetchone()
    previous_columns = relation_columns(con, own, "main") if reuse_previous else {}
    for table in previous_columns.keys() - set(marts) - set(LOG_TABLES):
        con.execute(f'drop table main."{table}"')
    counts, copied_from = {}, {}
    for mart in marts:
        cols = work_columns.get(mart)
        if not cols:
            raise RuntimeError(f"mart {mart} is missing from the work warehouse")
        kept = [(c, data_type, comment) for c, data_type, comment in cols if not is_personal(c, allowed)]
        names = [c for c, _, _ in kept]
        keep = ", ".join(f'"{c}"' for c in names)
        source = f'work.marts."{mart}"'
        as_of = None
        if AS_OF_COLUMN in names:
            # The gates hold the as-of date to one value per mart; anything else is copied whole.
            values = con.execute(f'select distinct "{AS_OF_COLUMN}" from {source} limit 2').fetchall()
            as_of = values[0][0] if len(values) == 1 else None
        same_shape = [(c, t) for c, t, _ in previous_columns.get(mart, [])] == [(c, t) for c, t, _ in kept]
        if same_shape and (as_of is not None or AS_OF_COLUMN not in names):
            copied_from[mart] = _copy_changed_periods(con, mart, source, names, as_of)
        else:
            con.execute(f'drop table if exists main."{mart}"')
            # Sorting makes the copy (and its Parquet bytes) the same for the same data.
            con.execute(f'create table main."{mart}" as select {keep} from {source} order by {_row_order(names)}')
            copied_from[mart] = "all"
        # A mart that only republishes an intermediate model is a view in the work file (dbt macro
        # view_materialization); its copy is a table like the others.
        (table_comment,) = con.execute(
            "select comment from duckdb_tables() where database_name = 'work' and schema_name = 'marts' "
            "and table_name = $mart union all select comment from duckdb_views() where database_name = 'work' "
            "and schema_name = 'marts' and view_name = $mart",
            {"mart": mart},
        ).fetchone()
        # Every comment set again (or cleared), as a kept table has the previous version's.
        con.execute(f'comment on table main."{mart}" is {_sql_string(table_comment)}')
        for column, _, comment in kept:
            con.execute(f'comment on column main."{mart}"."{column}" is {_sql_string(comment)}')
        counts[mart] = con.execute(f'select count(*) from main."{mart}"').fetchone()[0]
    return counts, copied_from


def _copy_changed_periods(
    con: duckdb.DuckDBPyConnection, mart: str, source: str, columns: Sequence[str], as_of: date | None
) -> str:
    """Bring the previous version's copy of a mart (same columns and types) up to the work warehouse's `source`:
    the new as-of date on every row, and the rows from the oldest changed period on deleted and copied again,
    sorted; returns that period, "all" or "none" (see `_copy_marts`)."""
    table = f'main."{mart}"'
    first = _first_changed_period(period_fingerprints(con, table, columns), period_fingerprints(con, source, columns))
    if as_of is not None:
        con.execute(
            f'update {table} set "{AS_OF_COLUMN}" = $as_of where "{AS_OF_COLUMN}" is distinct from $as_of',
            {"as_of": as_of},
        )
    if first == "none":
        return first
    since = "" if first == "all" else f"where \"{PERIOD_COLUMN}\" >= cast('{first}' as date)"
    # Deleted rows leave the kept ones in place, and inserted rows follow them: a whole sorted copy's order.
    con.execute(f"delete from {table} {since}")
    keep = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"insert into {table} select {keep} from {source} {since} order by {_row_order(columns)}")
    return first


def relation_columns(
    con: duckdb.DuckDBPyConnection, database: str, schema: str
) -> dict[str, list[tuple[str, str, str]]]:
    """(name, type, comment) of each column of each table and view of a schema, in order: one catalog query."""
    columns: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, data_type, comment in con.execute(
        "select table_name, column_name, data_type, comment from duckdb_columns() "
        "where database_name = $db and schema_name = $schema order by table_name, column_index",
        {"db": database, "schema": schema},
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type, comment))
    return columns


def _write_parquet(con: duckdb.DuckDBPyConnection, marts: Sequence[str], out_dir: Path) -> None:
    """One zstd Parquet file per mart, several marts at once.

    Each file is written by one thread (DuckDB `threads = 1`), so the same rows give the same bytes; the files are
    written side by side, one per core, each on its own cursor (DuckDB runs a cursor's query on the calling thread).
    """
    con.execute("set threads = 1")

    def write(mart: str) -> None:
        with con.cursor() as cursor:
            cursor.execute(
                f"copy (select * from main.\"{mart}\") to '{out_dir / (mart + '.parquet')}' "
                "(format parquet, compression zstd)"
            )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(write, marts))  # list(): re-raises the first failure


def _sql_string(text: str | None) -> str:
    """A SQL string literal, or NULL (COMMENT ON takes no bind parameters)."""
    return "null" if not text else "'" + text.replace("'", "''") + "'"


def _key_metrics(con: duckdb.DuckDBPyConnection, marts: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each suite's KEY_METRICS on the work marts, for the next run's volume comparison."""
    from orchestration.lib.gx_runner import load_suite

    out = {}
    for mart in marts:
        suite = load_suite(mart)
        metrics = suite.key_metrics if suite else {}
        if metrics:
            select = ", ".join(f"cast({sql} as double) as {name}" for name, sql in metrics.items())
            row = con.execute(f'select {select} from work.marts."{mart}"').fetchone()
            out[mart] = {name: (None if v is None else float(v)) for name, v in zip(metrics, row, strict=True)}
    return out


def _monthly_metrics(con: duckdb.DuckDBPyConnection, relation_prefix: str, mart: str, metrics: Mapping[str, str]):
    """Program-level monthly metrics of one mart, {month: {metric: value}}."""
    select = ", ".join(f"cast({sql} as double) as {name}" for name, sql in metrics.items())
    rows = con.execute(
        f'select month_start_date, {select} from {relation_prefix}."{mart}" group by month_start_date'
    ).fetchall()
    return {r[0]: dict(zip(metrics, r[1:], strict=True)) for r in rows}


def restatements(
    con: duckdb.DuckDBPyConnection, marts: Sequence[str], previous_db: Path | None, previous_as_of: str | None
) -> list[dict[str, Any]]:
    """Monthly metrics already published complete (month ended by the previous as_of_date) that changed now."""
    from orchestration.lib.gx_runner import load_suite

    if previous_db is None or not previous_db.exists():
        return []
    con.execute(f"attach '{previous_db}' as prev (read_only)")
    try:
        prev_tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'prev'"
            ).fetchall()
        }
        changes = []
        for mart in marts:
            suite = load_suite(mart)
            metrics = suite.restatement_metrics if suite else {}
            if not metrics or mart not in prev_tables:
                continue
            old = _monthly_metrics(con, "prev.main", mart, metrics)
            new = _monthly_metrics(con, "work.marts", mart, metrics)
            for month in sorted(old):
                # Only months the previous version already showed complete can be restated.
                if previous_as_of and not _month_complete(month, previous_as_of):
                    continue
                for name in metrics:
                    a = old[month].get(name) or 0.0
                    b = (new.get(month) or {}).get(name) or 0.0
                    if abs(b - a) > RESTATEMENT_EPSILON:
                        changes.append(
                            {
                                "mart": mart,
                                "metric": name,
                                "month_start_date": str(month),
                                "previous": round(a, 4),
                                "current": round(b, 4),
                                "change": round(b - a, 4),
                                "change_pct": None if a == 0 else round((b - a) / abs(a) * 100, 2),
                            }
                        )
        return changes
    finally:
        con.execute("detach prev")


def _month_complete(month: date, as_of: str) -> bool:
    """Whether the calendar month starting `month` had ended by `as_of` (an ISO date)."""
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return next_month <= date.fromisoformat(as_of) + timedelta(days=1)


def _as_of_date(con: duckdb.DuckDBPyConnection, marts: Sequence[str]) -> str | None:
    values = []
    for mart in marts:
        cols = {r[0] for r in con.execute(f'describe main."{mart}"').fetchall()}
        if "as_of_date" in cols:
            v = con.execute(f'select max(as_of_date) from main."{mart}"').fetchone()[0]
            if v is not None:
                values.append(str(v))
    return max(values) if values else None


def _write_log_table(db: Path, log: Sequence[Mapping[str, Any]]) -> None:
    """The publish log as tables inside the published file: `publish_log` and `publish_restatements`."""
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create or replace table publish_log (entry_number integer, version integer, event varchar, "
            "as_of_date date, run_id varchar, published_at timestamp, row_counts json, key_metrics json, "
            "check_results json, restatement_count integer, rolled_back_from integer, row_order varchar)"
        )
        con.executemany(
            "insert into publish_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    i + 1,
                    e["version"],
                    e["event"],
                    e.get("as_of_date"),
                    e.get("run_id"),
                    e["published_at"],
                    json.dumps(e.get("row_counts", {})),
                    json.dumps(e.get("key_metrics", {})),
                    json.dumps(e.get("check_results", [])),
                    len(e.get("restatements", [])),
                    e.get("rolled_back_from"),
                    e.get("row_order"),
                ]
                for i, e in enumerate(log)
            ],
        )
        con.execute(
            "create or replace table publish_restatements (version integer, mart varchar, metric varchar, "
            "month_start_date date, previous double, current double, change double, change_pct double)"
        )
        rows = [
            [
                e["version"],
                r["mart"],
                r["metric"],
                r["month_start_date"],
                r["previous"],
                r["current"],
                r["change"],
                r["change_pct"],
            ]
            for e in log
            if e["event"] == "publish"
            for r in e.get("restatements", [])
        ]
        if rows:
            con.executemany("insert into publish_restatements values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("checkpoint")


def _swap_stable(source_db: Path, stable_db: Path) -> None:
    """Copy a version's file next to the stable path, fsync, and `os.replace` it in (atomic on POSIX)."""
    stable_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = stable_db.with_name(f".{stable_db.name}.tmp-{os.getpid()}")
    shutil.copyfile(source_db, tmp)
    _fsync(tmp)
    os.replace(tmp, stable_db)
    _fsync(stable_db.parent)


def _prune(published_dir: Path, log: Sequence[Mapping[str, Any]], keep: int) -> list[int]:
    """Keep the newest `keep` versions and always the live one."""
    live = log[-1]["version"] if log else None
    versions = _existing_versions(published_dir)
    drop = [v for v in versions[:-keep] if v != live] if len(versions) > keep else []
    for v in drop:
        # Renamed first, so a kill mid-delete leaves a temp name (removed next time), never half a version.
        doomed = published_dir / f".v{v:04d}.tmp-prune"
        os.replace(_version_dir(published_dir, v), doomed)
        shutil.rmtree(doomed)
    return drop


def publish(
    settings: PublishSettings,
    marts: Sequence[str],
    *,
    run_id: str,
    check_results: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Build version N+1 from the work warehouse, swap it in as the stable file, log it; returns the entry."""
    pdir = settings.published_dir
    with _lock(pdir):
        state = _reconcile(settings)
        if state.conflict:
            raise RuntimeError(f"not published: {state.conflict}")
        log = state.log
        version = max([e["version"] for e in log] + _existing_versions(pdir) + [0]) + 1
        tmp_dir = pdir / f".v{version:04d}.tmp-{os.getpid()}"
        tmp_dir.mkdir(parents=True)
        db = tmp_dir / DB_NAME
        live = current_entry(log)
        previous_db = _version_dir(pdir, live["version"]) / DB_NAME if live else None
        reuse_previous = bool(live and live.get("row_order") == ROW_ORDER and previous_db.exists())
        if reuse_previous:
            shutil.copyfile(previous_db, db)
        with duckdb.connect(str(db), config={"memory_limit": settings.memory_limit}) as con:
            # Every core sorts the copies (their ORDER BY fixes their rows' order whatever the threads).
            con.execute(f"attach '{settings.work_db}' as work (read_only)")
            counts, copied_from = _copy_marts(
                con, marts, settings.personal_columns_allowed, reuse_previous=reuse_previous
            )
            key_metrics = _key_metrics(con, marts)
            changes = restatements(con, marts, previous_db, live.get("as_of_date") if live else None)
            as_of = _as_of_date(con, marts)
            con.execute("detach work")
            _write_parquet(con, marts, tmp_dir)
        entry = {
            "version": version,
            "event": "publish",
            "as_of_date": as_of,
            "run_id": run_id,
            "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "row_counts": counts,
            "key_metrics": key_metrics,
            "check_results": list(check_results),
            "restatements": changes,
            "row_order": ROW_ORDER,
        }
        new_log = [*log, entry]
        _write_log_table(db, new_log)
        (tmp_dir / LOG_NAME).write_text(json.dumps(entry, indent=2, default=str))
        for f in tmp_dir.iterdir():
            _fsync(f)
        final_dir = _version_dir(pdir, version)
        os.replace(tmp_dir, final_dir)
        _fsync(pdir)
        _swap_stable(final_dir / DB_NAME, settings.stable_db)
        _write_atomic(pdir / LOG_NAME, json.dumps(new_log, indent=2, default=str))
        entry["copied_from"] = copied_from
        entry["pruned_versions"] = _prune(pdir, new_log, settings.keep_versions)
        entry["stable_db"] = str(settings.stable_db)
        entry["version_dir"] = str(final_dir)
        return entry


def rollback(settings: PublishSettings, version: int) -> dict[str, Any]:
    """Make a kept earlier version the live one again (logged as a `rollback` event)."""
    pdir = settings.published_dir
    with _lock(pdir):
        # A conflict does not stop a rollback: it is the way to make the live file and the log agree again.
        state = _reconcile(settings)
        log = state.log
        source = _version_dir(pdir, version) / DB_NAME
        original = next((e for e in log if e["version"] == version and e["event"] == "publish"), None)
        if original is None or not source.exists():
            kept = ", ".join(str(v) for v in _existing_versions(pdir)) or "none"
            raise ValueError(f"version {version} is not kept (kept versions: {kept})")
        entry = {
            **{k: original[k] for k in ("version", "as_of_date", "row_counts", "key_metrics", "check_results")},
            # The kept version's own file starts the next publish, as any version in ROW_ORDER does.
            **{k: original[k] for k in ("row_order",) if k in original},
            "event": "rollback",
            "run_id": None,
            "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "restatements": [],
            "rolled_back_from": state.live_version,
        }
        new_log = [*log, entry]
        staged = pdir / f".v{version:04d}.tmp-{os.getpid()}"
        staged.mkdir()
        shutil.copyfile(source, staged / DB_NAME)
        # The rolled-back file says so in its own publish_log table; the marts are the kept version's.
        _write_log_table(staged / DB_NAME, new_log)
        _swap_stable(staged / DB_NAME, settings.stable_db)
        shutil.rmtree(staged)
        _write_atomic(pdir / LOG_NAME, json.dumps(new_log, indent=2, default=str))
        return entry


def list_versions(settings: PublishSettings) -> str:
    """A table of the log: version, event, as_of_date, run, row counts; `*` marks the live one.

    The log is first reconciled with the live file (the repair is saved unless a publish holds the lock).
    """
    state = _current_state(settings)
    log = state.log
    kept = set(_existing_versions(settings.published_dir))
    lines = [f"{'':1} {'version':>7} {'event':<9} {'as_of_date':<11} {'published_at':<20} {'kept':<4} rows"]
    for i, e in enumerate(log):
        live = "*" if i == len(log) - 1 else " "
        rows = ", ".join(f"{k}={v}" for k, v in e.get("row_counts", {}).items())
        lines.append(
            f"{live} {e['version']:>7} {e['event']:<9} {e.get('as_of_date') or '':<11} "
            f"{e['published_at']:<20} {'yes' if e['version'] in kept else 'no':<4} {rows}"
        )
    if state.conflict:
        lines.append(f"! {state.conflict}")
    return "\n".join(lines)


def parse_version(text: str) -> int:
    """A version as users write it (`3`, `v0003`); anything else is an argparse error naming the text."""
    match = re.fullmatch(r"v?0*(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a version: {text!r} (use e.g. 3 or v0003)")
    return int(match.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.lib.publish list|rollback <version>`."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.lib.publish", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list published versions (the live one marked *)")
    rb = sub.add_parser("rollback", help="republish a kept earlier version as the live one")
    rb.add_argument("version", type=parse_version)
    args = parser.parse_args(argv)
    settings = PublishSettings.from_settings(Settings.from_env())  # a command line: the process's environment
    if args.command == "list":
        print(list_versions(settings))
        return 0
    try:
        entry = rollback(settings, args.version)
    except ValueError as exc:
        print(f"rollback failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"version {entry['version']} (as of {entry['as_of_date']}) is live again at {settings.stable_db}; "
        f"rolled back from version {entry['rolled_back_from']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
