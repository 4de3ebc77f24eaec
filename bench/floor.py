"""The floor path: run bench/floor.sql in one DuckDB process and keep its outputs in a DuckDB file.

`python -m bench.floor --landing L --as-of D --out OUT.duckdb` (the bench's child process).
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

import duckdb

from orchestration.lib.contract import ENTITIES
from orchestration.lib.settings import Settings

SQL_FILE = Path(__file__).with_name("floor.sql")


def columns_sql(entity: str) -> str:
    """The entity's contract columns as a DuckDB `read_csv(columns = ...)` struct, all text, contract order."""
    return "{" + ", ".join(f"'{c}': 'varchar'" for c in ENTITIES[entity].columns) + "}"


def render(landing: Path, as_of: date, reporting_currency: str = "USD") -> str:
    """The floor script with its placeholders replaced (column lists from the landing contract)."""
    if any(landing.glob("*/dt=*/*.parquet")):
        raise ValueError(f"{landing}: the floor script reads CSV landing files only (the bench presets)")
    landing_sql = str(landing.resolve()).replace("'", "''")
    sql = re.sub(r"__COLUMNS:(\w+)__", lambda m: columns_sql(m.group(1)), SQL_FILE.read_text())
    return (
        sql.replace("__LANDING__", landing_sql)
        .replace("__AS_OF__", as_of.isoformat())
        .replace("__REPORTING_CURRENCY__", reporting_currency)
    )


def run(landing: Path, as_of: date, out: Path, reporting_currency: str = "USD") -> None:
    """Compute the floor's core outputs into the DuckDB file `out` (replaced)."""
    out.unlink(missing_ok=True)
    # The pipeline's DuckDB memory limit, so both do the same work in the same memory.
    limit = Settings.from_env().duckdb_memory_limit
    with duckdb.connect(str(out), config={"memory_limit": limit}) as con:
        con.execute("set preserve_insertion_order = false")
        # As the pipeline's profile: an offset-less timestamp is UTC whatever the host's time zone.
        con.execute("set TimeZone = 'UTC'")
        con.execute(render(landing, as_of, reporting_currency))


def main(argv: list[str] | None = None) -> int:
    """CLI of the floor child process."""
    ap = argparse.ArgumentParser(prog="python -m bench.floor")
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--reporting-currency", default="USD")
    args = ap.parse_args(argv)
    run(args.landing, args.as_of, args.out, args.reporting_currency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
