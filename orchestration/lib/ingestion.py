"""Load landing files into raw.<entity> tables of the work warehouse, one partition window at a time."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from orchestration.lib.contract import LINEAGE_COLUMNS, Entity


class LandingError(ValueError):
    """Landing data that cannot be loaded; the message names the file, row or field."""


@dataclass
class LoadResult:
    """What one window load did, for Dagster metadata and row accounting."""

    entity: str
    start: date
    end: date
    rows_loaded: int = 0
    rows_replaced: int = 0
    files: int = 0
    days_present: int = 0
    days_missing: list[date] = field(default_factory=list)


def days_in(start: date, end: date) -> list[date]:
    """The days of the half-open window [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def partition_folders(landing_dir: Path, entity: Entity, start: date, end: date) -> dict[date, Path]:
    """Existing `dt=` folders of `entity` inside [start, end), by day."""
    root = landing_dir / entity.name
    found: dict[date, Path] = {}
    if not root.is_dir():
        return found
    for folder in root.glob("dt=*"):
        try:
            day = date.fromisoformat(folder.name[3:])
        except ValueError as exc:
            raise LandingError(f"{folder}: folder name must be dt=YYYY-MM-DD") from exc
        if start <= day < end and folder.is_dir():
            found[day] = folder
    return found


def _header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return list(pq.read_schema(path).names)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            return next(csv.reader(fh))
        except StopIteration as exc:
            raise LandingError(f"{path}: empty file, expected a header row") from exc
        except UnicodeDecodeError as exc:
            raise LandingError(not_utf8_message(path)) from exc


REENCODE_HINT = "re-encode it as UTF-8, e.g. `iconv -f CP1251 -t UTF-8 in.csv > out.csv` (docs/data-contract.md)"


def not_utf8_message(path: Path) -> str:
    """Where the first byte that is not UTF-8 is: file, line and column (never the line's text)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return f"{path}: not UTF-8; {REENCODE_HINT}"
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        return (
            f"{path}: not UTF-8 at line {line}, column {exc.start - line_start + 1} "
            f"(byte 0x{data[exc.start]:02x}: {exc.reason}); {REENCODE_HINT}"
        )


def load_error_message(exc: duckdb.Error) -> str:
    """DuckDB's CSV error as file, line and what is wrong, without the row's content (it may hold personal data)."""
    text = str(exc)
    file_match = re.search(r"^\s*file = (.+)$", text, re.MULTILINE)
    line_match = re.search(r"CSV Error on Line: (\d+)", text)
    if not (file_match and line_match):
        # Not a CSV parsing error: keep its first line, never an `Original Line:` echo.
        return text.splitlines()[0] if text else type(exc).__name__
    path = Path(file_match.group(1).strip())
    if "not utf-8" in text.lower() or "invalid unicode" in text.lower():
        return not_utf8_message(path)
    problem = next(
        (
            line.strip()
            for line in text.splitlines()[1:]
            if line.strip() and not line.startswith(("Original Line", "Possible", "*", "  "))
        ),
        "malformed row",
    )
    return f"{path}: line {line_match.group(1)}: {problem} (the row's text is not shown: it may hold personal data)"


def check_header(path: Path, entity: Entity) -> tuple[str, ...]:
    """The file's column names; fails with the file and the missing field when a contract column is absent."""
    names = tuple(_header(path))
    missing = [c for c in entity.columns if c not in names]
    if missing:
        raise LandingError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(entity.columns)})")
    return names


def ensure_raw_table(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Create raw.<entity> (every contract column as text, plus lineage) if it does not exist."""
    cols = [f'"{c}" varchar' for c in entity.columns] + [f"{c} {t}" for c, t in LINEAGE_COLUMNS]
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw.{entity.name} ({', '.join(cols)})")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _select_files(files: list[Path], entity: Entity, header: tuple[str, ...] | None) -> str:
    """SELECT of the contract columns plus lineage from files that share one header (None: Parquet)."""
    listing = ", ".join(_quote(str(f)) for f in files)
    if header is None:
        source = f"read_parquet([{listing}], union_by_name = true, filename = true, file_row_number = true)"
        row = "file_row_number + 1"
    else:
        # Never let the sniffer guess: it may skip malformed leading lines silently. Declare the dialect
        # and the header's own columns, so a ragged row fails with its file and line.
        columns = ", ".join(f"{_quote(c)}: 'varchar'" for c in header)
        source = (
            f"read_csv([{listing}], columns = {{{columns}}}, header = true, auto_detect = false, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, filename = true)"
        )
        # row_number() over () streams in scan order (files in list order, lines in file order); a
        # partitioned window would not keep that order, so the per-file row is an offset from the file's first.
        row = "_scan_row - min(_scan_row) over (partition by filename) + 1"
    cols = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in entity.columns)
    return (
        f"with scanned as (select *, row_number() over () as _scan_row from {source}) "
        f"select {cols}, cast(regexp_extract(filename, 'dt=([0-9-]+)', 1) as date) as _partition_date, "
        f"filename as _source_file, {row} as _source_row from scanned"
    )


def load_window(
    con: duckdb.DuckDBPyConnection, entity: Entity, landing_dir: Path, start: date, end: date
) -> LoadResult:
    """Replace the rows of raw.<entity> for [start, end) with that window's landing files, atomically."""
    result = LoadResult(entity=entity.name, start=start, end=end)
    folders = partition_folders(landing_dir, entity, start, end)
    result.days_present = len(folders)
    result.days_missing = [d for d in days_in(start, end) if d not in folders]
    if entity.required and not entity.snapshot and result.days_missing:
        shown = ", ".join(d.isoformat() for d in result.days_missing[:5])
        more = f" and {len(result.days_missing) - 5} more" if len(result.days_missing) > 5 else ""
        raise LandingError(
            f"{landing_dir / entity.name}: required entity '{entity.name}' has no landing folder "
            f"dt=<day> for {shown}{more}"
        )
    if entity.required and entity.snapshot and not _any_snapshot_until(landing_dir, entity, end):
        raise LandingError(f"{landing_dir / entity.name}: no '{entity.name}' snapshot on or before {end}")

    files = sorted(p for folder in folders.values() for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    batches: dict[tuple[str, ...] | None, list[Path]] = {}
    for path in files:
        header = check_header(path, entity)
        batches.setdefault(header if path.suffix == ".csv" else None, []).append(path)
    result.files = len(files)

    ensure_raw_table(con, entity)
    con.execute("begin transaction")
    try:
        replaced = con.execute(
            f"delete from raw.{entity.name} where _partition_date >= ? and _partition_date < ?", [start, end]
        ).fetchone()
        result.rows_replaced = int(replaced[0]) if replaced else 0
        for header, batch in batches.items():
            con.execute(f"insert into raw.{entity.name} {_select_files(batch, entity, header)}")
        loaded = con.execute(
            f"select count(*) from raw.{entity.name} where _partition_date >= ? and _partition_date < ?",
            [start, end],
        ).fetchone()
        result.rows_loaded = int(loaded[0]) if loaded else 0
        con.execute("commit")
    except duckdb.Error as exc:
        con.execute("rollback")
        raise LandingError(load_error_message(exc)) from None
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _any_snapshot_until(landing_dir: Path, entity: Entity, end: date) -> bool:
    return bool(partition_folders(landing_dir, entity, date(1900, 1, 1), end))


def latest_loaded_window(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """The single-day window of the newest loaded transactions partition (for runs without a window)."""
    row = con.execute("select max(_partition_date) from raw.transactions").fetchone()
    if not row or row[0] is None:
        raise LandingError("raw.transactions is empty: load at least one partition before building the marts")
    return row[0], row[0] + timedelta(days=1)
