"""Load landing files into raw.<entity> tables of the work warehouse, one partition window at a time."""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.contract import LINEAGE_COLUMNS, Entity
from orchestration.lib.settings import ON_BAD_LINES
from orchestration.lib.tables import table_exists


class LandingError(ValueError):
    """Landing data that cannot be loaded; the message names the file, row or field."""


# What to do with a CSV line that cannot be read (wrong number of fields, broken quoting, a NUL byte, a line
# over MAX_LINE_BYTES): `fail` the load (the default) or `quarantine` the line as `unreadable_line` and load
# the rest of the file (setting PRA_ON_BAD_LINES, docs/operations.md).
# DuckDB's CSV reader refuses longer lines (its max_line_size default); the line-by-line reader uses the same.
MAX_LINE_BYTES = 2 * 1024 * 1024

# Each loaded day's fingerprint, so a run that covers the day again with the same files keeps its rows instead of
# reading them again (a nightly's 35-day look-back is mostly the same days delivered again).
FINGERPRINTS_TABLE = "ingestion.landing_fingerprints"
# Its columns, which the bookkeeping of what dbt built and what was published shares (lib/build_start.py).
FINGERPRINT_COLUMNS = "entity varchar, partition_date date, fingerprint varchar"
# Bump when the loader turns the same files into different raw rows: every day is then loaded again.
LOADER_VERSION = 1


@dataclass(frozen=True)
class BadLine:
    """A CSV record that cannot be read: its data row (header excluded), first line, column if known, problem."""

    row: int
    line: int
    field: str | None
    problem: str

    def describe(self, path: Path) -> str:
        where = f"line {self.line} (data row {self.row})" + (f", column {self.field}" if self.field else "")
        return f"{path}: {where}: {self.problem} (the row's text is not shown: it may hold personal data)"


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
    # Lines quarantined as unreadable (PRA_ON_BAD_LINES=quarantine) and things accepted with a warning.
    rows_unreadable: int = 0
    warnings: list[str] = field(default_factory=list)
    # Days whose files were the ones already loaded (the same fingerprint): their rows were kept, not read again.
    days_unchanged: int = 0


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


def error_file(exc: duckdb.Error) -> Path | None:
    """The file a DuckDB CSV error names (its `file = ...` line), if any."""
    found = re.search(r"^\s*file = (.+)$", str(exc), re.MULTILINE)
    return Path(found.group(1).strip()) if found else None


def load_error_message(exc: duckdb.Error) -> str:
    """DuckDB's CSV error as file, line and what is wrong, without the row's content (it may hold personal data)."""
    text = str(exc)
    path = error_file(exc)
    line_match = re.search(r"CSV Error on Line: (\d+)", text)
    if not (path and line_match):
        # Not a CSV parsing error: keep its first line, never an `Original Line:` echo.
        return text.splitlines()[0] if text else type(exc).__name__
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


def check_header(path: Path, entity: Entity, warnings: list[str] | None = None) -> tuple[str, ...]:
    """The file's column names; fails with the file and the missing field when a contract column is absent.

    Columns the contract does not know are ignored, with a warning naming them (exports gain fields over time);
    an `optional` contract column may be absent and is then loaded as null.
    """
    names = tuple(_header(path))
    missing = [c for c in entity.columns if c not in names and c not in entity.optional_columns]
    if missing:
        raise LandingError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(entity.columns)})")
    extra = [c for c in names if c not in entity.columns]
    if extra and warnings is not None:
        warnings.append(f"{path}: column(s) {', '.join(extra)} are not in the contract and were not loaded")
    return names


def ensure_raw_table(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Create raw.<entity> (every contract column as text, plus lineage) if it does not exist; add new lineage.
    A new table has no loaded day: fingerprints left from an earlier one are forgotten."""
    cols = [f'"{c}" varchar' for c in entity.columns] + [f"{c} {t}" for c, t in LINEAGE_COLUMNS]
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists ingestion")
    con.execute(f"create table if not exists {FINGERPRINTS_TABLE} ({FINGERPRINT_COLUMNS})")
    if not table_exists(con, "raw", entity.name):
        con.execute(f"delete from {FINGERPRINTS_TABLE} where entity = ?", [entity.name])
    con.execute(f"create table if not exists raw.{entity.name} ({', '.join(cols)})")
    for name in entity.columns:  # tables created before a contract column was added (optional ones) lack it
        con.execute(f'alter table raw.{entity.name} add column if not exists "{name}" varchar')
    for name, type_ in LINEAGE_COLUMNS:  # tables created by an older version lack the newer lineage columns
        con.execute(f"alter table raw.{entity.name} add column if not exists {name} {type_}")


def scan_csv(path: Path, width: int) -> Iterator[tuple[int, list[str] | None, BadLine | None]]:
    """Every data record of a CSV file with Python's csv module: (row, fields, None) or (row, None, problem).

    The slow path, used only for a file DuckDB refused: it finds every unreadable record (wrong number of
    fields, broken quoting, a NUL byte, a value over MAX_LINE_BYTES) with its line, and reads on after it.
    """
    # Read values well past the limit, so a too-long value is named by its column; beyond this, by its line.
    csv.field_size_limit(max(csv.field_size_limit(), 32 * MAX_LINE_BYTES))
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        last_line, row = reader.line_num, 0
        while True:
            row += 1
            line = last_line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = reader.line_num
                yield row, None, BadLine(row, line, None, f"unreadable CSV ({exc})")
                continue
            except UnicodeDecodeError as exc:
                raise LandingError(not_utf8_message(path)) from exc
            last_line = reader.line_num
            if not fields:  # a blank line is no record (DuckDB skips it too)
                row -= 1
                continue
            if len(fields) != width:
                problem = (
                    f"{len(fields)} fields, expected {width} (an unquoted comma in a value, e.g. a comma decimal?)"
                )
                yield row, None, BadLine(row, line, None, problem)
                continue
            named = list(zip(header, fields, strict=True))
            nul = next((name for name, value in named if "\x00" in value), None)
            if nul is not None:
                yield row, None, BadLine(row, line, nul, "NUL byte (0x00) in the value: a corrupted export")
                continue
            long = next((name for name, value in named if len(value.encode()) > MAX_LINE_BYTES), None)
            if long is not None:
                yield row, None, BadLine(row, line, long, f"value longer than {MAX_LINE_BYTES // 2**20} MiB")
                continue
            if sum(len(value.encode()) + 1 for value in fields) > MAX_LINE_BYTES:
                yield row, None, BadLine(row, line, None, f"line longer than {MAX_LINE_BYTES // 2**20} MiB")
                continue
            yield row, fields, None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Typed Parquet columns become the text the contract reads, the same on every host: timestamps as ISO-8601 in
# UTC, numbers and dates as their exact text. Binary floating point is refused except for `double` columns:
# 0.1 + 0.2 is not 0.3, and money must be exact (docs/data-contract.md, "Parquet format").
def _parquet_text(column: str, type_: pa.DataType, contract_type: str, path: Path) -> str:
    quoted = f'"{column}"'
    if pa.types.is_timestamp(type_) and type_.tz:
        return f"strftime(timezone('UTC', {quoted}), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'"
    if pa.types.is_timestamp(type_):
        return f"strftime({quoted}, '%Y-%m-%dT%H:%M:%S.%f')"
    exact = (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_null(type_)
        or pa.types.is_integer(type_)
        or pa.types.is_decimal(type_)
        or pa.types.is_date(type_)
        or (pa.types.is_floating(type_) and contract_type == "double")
    )
    if getattr(pa.types, "is_string_view", lambda _: False)(type_) or exact:
        return f"cast({quoted} as varchar)"
    raise LandingError(
        f"{path}: column {column} is Parquet type {type_}, which cannot hold a {contract_type} exactly; "
        "write it as string (or decimal, integer, date, timestamp)"
    )


def _select_files(files: list[Path], entity: Entity, header: tuple[str, ...] | None) -> str:
    """SELECT of the contract columns plus lineage from files that share one header (None: Parquet)."""
    listing = ", ".join(_quote(str(f)) for f in files)
    if header is None:
        source = f"read_parquet([{listing}], union_by_name = true, filename = true, file_row_number = true)"
        row = "file_row_number + 1"
        schema = pq.read_schema(files[0])
        types = {c.name: c.type for c in entity.contract_columns}
        cols = ", ".join(
            f'{_parquet_text(c, schema.field(c).type, types[c], files[0])} as "{c}"'
            if c in schema.names
            else f'cast(null as varchar) as "{c}"'
            for c in entity.columns
        )
    else:
        # Never let the sniffer guess: it may skip malformed leading lines silently. Declare the dialect
        # and the header's own columns, so a ragged row fails with its file and line.
        columns = ", ".join(f"{_quote(c)}: 'varchar'" for c in header)
        source = (
            f"read_csv([{listing}], columns = {{{columns}}}, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, max_line_size = {MAX_LINE_BYTES}, "
            "filename = true)"
        )
        # row_number() over () streams in scan order (files in list order, lines in file order); a
        # partitioned window would not keep that order, so the per-file row is an offset from the file's first.
        row = "_scan_row - min(_scan_row) over (partition by filename) + 1"
        cols = ", ".join(
            f'cast("{c}" as varchar) as "{c}"' if c in header else f'cast(null as varchar) as "{c}"'
            for c in entity.columns
        )
    return (
        f"with scanned as (select *, row_number() over () as _scan_row from {source}) "
        f"select {cols}, cast(regexp_extract(filename, 'dt=([0-9-]+)', 1) as date) as _partition_date, "
        f"filename as _source_file, {row} as _source_row, "
        "cast(null as varchar) as _unreadable, cast(null as varchar) as _unreadable_field from scanned"
    )


# CSV scans per batch of files, side by side (_select_batch): one per core, each reading at least MIN_SCAN_BYTES.
SCANS_PER_BATCH = os.cpu_count() or 1
MIN_SCAN_BYTES = 256 * 2**20


def _select_batch(files: list[Path], entity: Entity, header: tuple[str, ...] | None) -> str:
    """SELECT of one batch (see _select_files). A large batch of CSV files is split into one scan per core,
    contiguous runs of the list, joined by `union all`: the row number of a CSV scan (`row_number() over ()`, in scan
    order) runs on one thread, so one scan of every file kept the other cores idle. Each file is in one scan, so its
    rows are numbered as before; only the order rows reach the table in changes, which nothing reads (the lineage
    columns order them).

    Only batches of at least MIN_SCAN_BYTES per scan are split: each scan leaves a partly filled row group that the
    next checkpoint rewrites, which made small batches slower split. Measured on the large and demo presets in
    docs/benchmarks.md ("Latest: the complete run of fd7f380")."""
    if header is None or len(files) < 2:
        return _select_files(files, entity, header)
    size_bytes = sum(f.stat().st_size for f in files)
    parts = max(1, min(SCANS_PER_BATCH, len(files), size_bytes // MIN_SCAN_BYTES))
    size = -(-len(files) // parts)  # ceiling: every part but the last has `size` files
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    return " union all ".join(f"({_select_files(chunk, entity, header)})" for chunk in chunks)


def _file_batches(
    files: list[Path], entity: Entity, warnings: list[str]
) -> dict[tuple[str, ...] | tuple[tuple[str, str], ...], list[Path]]:
    """Files grouped so each group is read by one scan: CSVs by header, Parquet files by schema."""
    batches: dict = {}
    for path in files:
        header = check_header(path, entity, warnings)
        if path.suffix == ".parquet":
            schema = pq.read_schema(path)
            key = ("parquet",) + tuple((c, str(schema.field(c).type)) for c in entity.columns if c in schema.names)
        else:
            key = ("csv",) + header
        batches.setdefault(key, []).append(path)
    return batches


def _check_one_format_per_day(files: list[Path]) -> None:
    """A day folder holds CSV or Parquet files, never both: both is a re-export beside the original."""
    by_folder: dict[Path, list[Path]] = {}
    for path in files:
        by_folder.setdefault(path.parent, []).append(path)
    for folder, paths in by_folder.items():
        if len({p.suffix for p in paths}) > 1:
            names = ", ".join(p.name for p in paths)
            raise LandingError(
                f"{folder}: both CSV and Parquet files ({names}); a day holds one format. Keep the right "
                "export, remove the other, and run the window again"
            )


def _insert_lines(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, header: tuple[str, ...]) -> int:
    """Load one CSV file record by record; unreadable records are kept as rows marked `_unreadable`."""
    index = [header.index(c) if c in header else None for c in entity.columns]
    day = _day_of(path)
    records: dict[str, list] = {c: [] for c in entity.columns}
    lineage: dict[str, list] = {"_source_row": [], "_unreadable": [], "_unreadable_field": []}
    bad = 0
    for row, fields, problem in scan_csv(path, len(header)):
        for column, i in zip(entity.columns, index, strict=True):
            records[column].append((fields[i] or None) if fields is not None and i is not None else None)
        lineage["_source_row"].append(row)
        lineage["_unreadable"].append(f"line {problem.line}: {problem.problem}" if problem else None)
        lineage["_unreadable_field"].append(problem.field if problem else None)
        bad += problem is not None
    table = pa.table(
        {
            **{c: pa.array(v, pa.string()) for c, v in records.items()},
            "_source_row": pa.array(lineage["_source_row"], pa.int64()),
            "_unreadable": pa.array(lineage["_unreadable"], pa.string()),
            "_unreadable_field": pa.array(lineage["_unreadable_field"], pa.string()),
        }
    )
    con.register("_lines", table)
    try:
        cols = ", ".join(f'"{c}"' for c in entity.columns)
        con.execute(
            f"insert into raw.{entity.name} ({cols}, _partition_date, _source_file, _source_row, _unreadable, "
            f"_unreadable_field) select {cols}, ?, ?, _source_row, _unreadable, _unreadable_field from _lines",
            [day, str(path)],
        )
    finally:
        con.unregister("_lines")
    return bad


def _first_bad_line(path: Path, header: tuple[str, ...]) -> BadLine | None:
    return next((problem for _, _, problem in scan_csv(path, len(header)) if problem), None)


def _nul_rows(con: duckdb.DuckDBPyConnection, entity: Entity, start: date, end: date) -> str:
    """WHERE clause of the window's readable rows with a NUL byte in a contract column (DuckDB reads them)."""
    has_nul = " or ".join(f'contains("{c}", chr(0))' for c in entity.columns)
    return f"_partition_date >= '{start}' and _partition_date < '{end}' and _unreadable is null and ({has_nul})"


def _mark_nul_bytes(con: duckdb.DuckDBPyConnection, entity: Entity, start: date, end: date, on_bad_lines: str) -> int:
    """Rows with a NUL byte: the load fails naming the first (file, row, column), or they are marked unreadable."""
    which = "case " + " ".join(f"""when contains("{c}", chr(0)) then '{c}'""" for c in entity.columns) + " end"
    where = _nul_rows(con, entity, start, end)
    if on_bad_lines == "fail":
        first = con.execute(
            f"select _source_file, _source_row, {which} from raw.{entity.name} where {where} "
            "order by _source_file, _source_row limit 1"
        ).fetchone()
        if first:
            raise LandingError(
                f"{first[0]}: data row {first[1]}, column {first[2]}: NUL byte (0x00) in the value: a corrupted "
                "export (the row's text is not shown: it may hold personal data)"
            )
        return 0
    marked = con.execute(
        f"update raw.{entity.name} set _unreadable = 'NUL byte (0x00) in the value: a corrupted export', "
        f"_unreadable_field = {which} where {where}"
    ).fetchone()
    return int(marked[0]) if marked else 0


def day_fingerprints(
    folders: dict[date, Path], entity: Entity, start: date, end: date, on_bad_lines: str
) -> tuple[dict[date, str], frozenset[Path]]:
    """What each day of [start, end) loads from: its files (path and content digest; none for a day without a
    folder) and everything else that shapes its raw rows (the contract's columns, PRA_ON_BAD_LINES, the loader's and
    DuckDB's versions). Equal fingerprints load equal rows.

    Also the files whose values may hold a NUL byte, from the same read of every byte: the CSV files with a 0x00
    byte, and every Parquet file (its encoded pages hold any byte). A value with a NUL byte comes from such a file,
    so a load of none of them skips the NUL check (_mark_nul_bytes)."""
    signature = repr(
        (LOADER_VERSION, duckdb.__version__, entity.columns, sorted(entity.optional_columns), on_bad_lines)
    )
    prints = {}
    nul_files = set()
    for day in days_in(start, end):
        digest = hashlib.blake2b(signature.encode(), digest_size=20)
        folder = folders.get(day)
        for path in sorted(folder.iterdir()) if folder else []:
            if path.suffix in (".csv", ".parquet"):
                content = hashlib.blake2b()  # as hashlib.file_digest(fh, "blake2b"): the same stored fingerprints
                with path.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        content.update(chunk)
                        if b"\0" in chunk:
                            nul_files.add(path)
                if path.suffix == ".parquet":
                    nul_files.add(path)
                digest.update(repr((str(path), content.hexdigest())).encode())
        prints[day] = digest.hexdigest()
    return prints, frozenset(nul_files)


def first_changed_day(
    con: duckdb.DuckDBPyConnection, entity: Entity, prints: dict[date, str], start: date, end: date
) -> date | None:
    """The first day of [start, end) whose fingerprint differs from the one stored when it was last loaded (or that
    has none); None when every day is unchanged."""
    stored = dict(
        con.execute(
            f"select partition_date, fingerprint from {FINGERPRINTS_TABLE} "
            "where entity = ? and partition_date >= ? and partition_date < ?",
            [entity.name, start, end],
        ).fetchall()
    )
    return next((day for day in days_in(start, end) if stored.get(day) != prints[day]), None)


def load_window(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    landing_dir: Path,
    start: date,
    end: date,
    on_bad_lines: str = "fail",
) -> LoadResult:
    """Replace the rows of raw.<entity> for [start, end) with that window's landing files, atomically.

    Days from the first one whose files changed since they were loaded (day_fingerprints) are loaded again; the
    days before it keep their rows, and a window with no change loads nothing. Every day is still checked (a
    required day's folder, one format per day, each file's header)."""
    if on_bad_lines not in ON_BAD_LINES:
        raise ValueError(f"PRA_ON_BAD_LINES={on_bad_lines!r}: choose one of {', '.join(ON_BAD_LINES)}")
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
    _check_one_format_per_day(files)
    batches = _file_batches(files, entity, result.warnings)
    result.files = len(files)

    ensure_raw_table(con, entity)
    prints, nul_files = day_fingerprints(folders, entity, start, end, on_bad_lines)
    changed = first_changed_day(con, entity, prints, start, end)
    result.days_unchanged = len(days_in(start, changed or end))
    if changed is None:
        result.rows_loaded = _window_rows(con, entity, start, end)
        return result
    batches = {key: kept for key, paths in batches.items() if (kept := [p for p in paths if _day_of(p) >= changed])}
    reload = {day: fingerprint for day, fingerprint in prints.items() if day >= changed}
    may_hold_nul = any(p in nul_files for paths in batches.values() for p in paths)
    # Files DuckDB could not read are loaded line by line (quarantine) or named with their first bad line (fail).
    line_by_line: set[Path] = set()
    while True:
        try:
            _load_batches(con, entity, changed, end, batches, line_by_line, result, on_bad_lines, reload, may_hold_nul)
            result.rows_loaded = _window_rows(con, entity, start, end)
            return result
        except duckdb.Error as exc:
            refused = _refused_file(exc, batches, line_by_line)
            if refused is None:
                raise LandingError(load_error_message(exc)) from None
            path, header = refused
            problem = _first_bad_line(path, header)
            if on_bad_lines == "fail" or problem is None:
                raise LandingError(problem.describe(path) if problem else load_error_message(exc)) from None
            line_by_line.add(path)


def _refused_file(exc: duckdb.Error, batches: dict, line_by_line: set[Path]) -> tuple[Path, tuple[str, ...]] | None:
    """The CSV file (and its header) a DuckDB CSV error names, if it is one of this load's scanned files."""
    named = error_file(exc)
    if named is None:
        return None
    for key, paths in batches.items():
        if key[0] == "csv" and named in paths and named not in line_by_line:
            return named, tuple(key[1:])
    return None


def _load_batches(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    start: date,
    end: date,
    batches: dict,
    line_by_line: set[Path],
    result: LoadResult,
    on_bad_lines: str,
    prints: dict[date, str],
    may_hold_nul: bool,
) -> None:
    """One transaction: delete the window's rows, insert every batch, check NUL bytes (when a file `may_hold_nul`,
    see day_fingerprints), store the days' fingerprints; rolls back on error."""
    con.execute("begin transaction")
    try:
        replaced = con.execute(
            f"delete from raw.{entity.name} where _partition_date >= ? and _partition_date < ?", [start, end]
        ).fetchone()
        result.rows_replaced = int(replaced[0]) if replaced else 0
        result.rows_unreadable = 0
        for key, batch in batches.items():
            header = tuple(key[1:]) if key[0] == "csv" else None
            scanned = [p for p in batch if p not in line_by_line]
            if scanned:
                # By name: a raw table from before an optional column was added has that column last.
                con.execute(f"insert into raw.{entity.name} by name {_select_batch(scanned, entity, header)}")
            for path in (p for p in batch if p in line_by_line):
                result.rows_unreadable += _insert_lines(con, entity, path, header)
        if may_hold_nul:
            result.rows_unreadable += _mark_nul_bytes(con, entity, start, end, on_bad_lines)
        stale = f"delete from {FINGERPRINTS_TABLE} where entity = ? and partition_date >= ? and partition_date < ?"
        con.execute(stale, [entity.name, start, end])
        # One statement for all days (the lists are unnested side by side): executemany took 0.6 s for 1,096 days.
        con.execute(
            f"insert into {FINGERPRINTS_TABLE} select ?, cast(unnest(?) as date), unnest(?)",
            [entity.name, [d.isoformat() for d in prints], list(prints.values())],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _day_of(path: Path) -> date:
    """The partition day of a landing file (its `dt=` folder)."""
    return date.fromisoformat(path.parent.name[3:])


def _window_rows(con: duckdb.DuckDBPyConnection, entity: Entity, start: date, end: date) -> int:
    loaded = con.execute(
        f"select count(*) from raw.{entity.name} where _partition_date >= ? and _partition_date < ?", [start, end]
    ).fetchone()
    return int(loaded[0]) if loaded else 0


def _any_snapshot_until(landing_dir: Path, entity: Entity, end: date) -> bool:
    return bool(partition_folders(landing_dir, entity, date(1900, 1, 1), end))


def latest_loaded_window(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    """The single-day window of the newest loaded transactions partition (for runs without a window)."""
    row = con.execute("select max(_partition_date) from raw.transactions").fetchone()
    if not row or row[0] is None:
        raise LandingError("raw.transactions is empty: load at least one partition before building the marts")
    return row[0], row[0] + timedelta(days=1)
