"""Restricted exports: internal tables with personal data, written for the pipeline's user only (file mode 0600).

The at-risk list with partner names and account managers (`internal.internal_partners_at_risk_contacts`) never
goes into a published mart; partner managers get it as this CSV under the warehouse (docs/operations.md,
"At-risk list").
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb

from orchestration.lib.tables import table_exists

# dbt's `models/internal/` folder: reports with personal data, built in the work warehouse, never published as marts.
RESTRICTED_SCHEMA = "internal"
AT_RISK_TABLE = f"{RESTRICTED_SCHEMA}.internal_partners_at_risk_contacts"
AT_RISK_FILE = Path("restricted") / "partners_at_risk.csv"


def restricted_tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """The tables of the restricted schema in `database` (an attached work warehouse), by name."""
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by table_name",
        [database, RESTRICTED_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def export_at_risk_list(work_db: Path, warehouse_dir: Path) -> tuple[Path, int] | None:
    """Write the current at-risk list as `<warehouse>/restricted/partners_at_risk.csv` (mode 0600); (path, rows).

    None when the work warehouse has no such table (a run that did not build it).
    """
    with duckdb.connect(str(work_db), read_only=True) as con:
        if not table_exists(con, *AT_RISK_TABLE.split(".")):
            return None
        cursor = con.execute(f"select * from {AT_RISK_TABLE} order by risk_rank")
        header = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    out = warehouse_dir / AT_RISK_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(out.parent, 0o700)
    tmp = out.with_name(out.name + ".tmp")
    # Created 0600 before any byte is written (never world-readable, whatever the umask), then swapped in whole.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, out)
    return out, len(rows)
