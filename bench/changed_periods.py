"""Which periods of each model a run changed: two work files compared period by period, the as-of date left out.

`python -m bench.changed_periods BEFORE/work.duckdb AFTER/work.duckdb` compares every table and view of the
`marts` and `intermediate` schemas (or `--schema`) of two work warehouses, for example a copy taken before a
nightly run and the same warehouse after it. Each relation with a period column (`month_start_date`) is compared
period by period: the rows' count and an order-free hash of their values, every column but `as_of_date` (which
every row of a period mart carries, so every row differs by it after any run). A relation without a period column
is compared as a whole. Printed: one line per relation, how many of its periods have rows that differ (added,
removed or changed), which, and how many rows they hold after the run; `--json FILE` writes the same as JSON.

This measures how much of a rebuild a model would need if it were built period by period: docs/benchmarks.md,
"What a nightly run changes". Each file is read on its own connection, so a view reads its own file's tables.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from orchestration.lib.publish import PERIOD_COLUMN, period_fingerprints, relation_columns

SCHEMAS = ("marts", "intermediate")

# Whether the relation has a period column, and the (count, hash) of the rows of each of its periods (one entry,
# None, for a relation without periods; none for an empty relation).
Fingerprints = tuple[bool, dict[str | None, tuple[int, int]]]


@dataclass(frozen=True)
class Change:
    relation: str
    rows_before: int
    rows_after: int
    periods: int | None  # periods in either file; None without a period column
    changed: list[str | None]  # the periods whose rows differ (oldest first); [None]: a relation without periods
    rows_changed_periods: int  # rows of the changed periods after the run: what a build by period would write

    @property
    def line(self) -> str:
        rows = f"rows {self.rows_before:,} -> {self.rows_after:,}"
        if self.periods is None:
            return f"{self.relation}: {rows}, no period column, {'changed' if self.changed else 'unchanged'}"
        listed = ", ".join(str(p) for p in self.changed[:6]) + (" ..." if len(self.changed) > 6 else "")
        return f"{self.relation}: {rows}, {len(self.changed)} of {self.periods} periods changed" + (
            f" ({listed}; {self.rows_changed_periods:,} rows)" if self.changed else ""
        )


def fingerprints(con: duckdb.DuckDBPyConnection, schema: str, name: str, columns: Sequence[str]) -> Fingerprints:
    """The row count and an order-free hash of the rows (the as-of date left out) of each period of a relation:
    publication's own comparison (`orchestration.lib.publish.period_fingerprints`)."""
    return PERIOD_COLUMN in columns, period_fingerprints(con, f'"{schema}"."{name}"', columns)


def file_fingerprints(db: Path, schemas: Sequence[str]) -> dict[str, Fingerprints]:
    """Every relation of `schemas` in one work file, by `schema.name`."""
    with duckdb.connect(str(db), read_only=True) as con:
        (own,) = con.execute("select current_database()").fetchone()
        return {
            f"{schema}.{name}": fingerprints(con, schema, name, [c for c, _, _ in columns])
            for schema in sorted(schemas)
            for name, columns in relation_columns(con, own, schema).items()
        }


def compare(before: dict[str, Fingerprints], after: dict[str, Fingerprints]) -> list[Change]:
    """The changed periods of every relation in either file (a relation in one file only: all its periods)."""
    changes = []
    for relation in sorted(before.keys() | after.keys()):
        (periods_before, a), (periods_after, b) = before.get(relation, (False, {})), after.get(relation, (False, {}))
        keys = a.keys() | b.keys()
        has_periods = periods_before or periods_after
        changed = sorted((k for k in keys if a.get(k) != b.get(k)), key=lambda k: (k is not None, k or ""))
        changes.append(
            Change(
                relation=relation,
                rows_before=sum(n for n, _ in a.values()),
                rows_after=sum(n for n, _ in b.values()),
                periods=len(keys) if has_periods else None,
                changed=changed,
                rows_changed_periods=sum(b[k][0] for k in changed if k in b),
            )
        )
    return changes


def summary(changes: Sequence[Change]) -> dict[str, dict]:
    """By schema, over its relations with periods: how many, their rows after the run, the rows of their changed
    periods and that share, and how many relations changed how many periods (`{"0": 6, "1": 22, ...}`); and the
    relations without periods, with those that changed."""
    out: dict[str, dict] = {}
    for schema in sorted({c.relation.split(".")[0] for c in changes}):
        ours = [c for c in changes if c.relation.split(".")[0] == schema]
        periodic = [c for c in ours if c.periods is not None]
        rows = sum(c.rows_after for c in periodic)
        changed_rows = sum(c.rows_changed_periods for c in periodic)
        counts = sorted({len(c.changed) for c in periodic})
        out[schema] = {
            "relations_with_periods": len(periodic),
            "rows": rows,
            "rows_in_changed_periods": changed_rows,
            "share_of_rows": round(changed_rows / rows, 4) if rows else 0.0,
            "relations_by_periods_changed": {str(n): sum(len(c.changed) == n for c in periodic) for n in counts},
            "relations_without_periods": len(ours) - len(periodic),
            "changed_without_periods": sorted(c.relation for c in ours if c.periods is None and c.changed),
        }
    return out


def summary_line(schema: str, totals: dict) -> str:
    """One schema of `summary` as a line: `marts: 7.5% of the 587,273 rows of its 31 relations with periods ...`."""
    spread = ", ".join(f"{n} x{k}" for n, k in totals["relations_by_periods_changed"].items())
    return (
        f"{schema}: {totals['share_of_rows']:.1%} of the {totals['rows']:,} rows of its "
        f"{totals['relations_with_periods']} relations with periods are in changed periods (periods changed per "
        f"relation: {spread or 'none'}); {len(totals['changed_without_periods'])} of its "
        f"{totals['relations_without_periods']} relations without periods changed"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a work file (work.duckdb), e.g. a copy taken before a run")
    parser.add_argument("after", type=Path, help="the work file to compare with it")
    parser.add_argument("--schema", action="append", help=f"schemas to compare (default: {', '.join(SCHEMAS)})")
    parser.add_argument("--json", type=Path, help="also write the changes to this file as JSON")
    args = parser.parse_args(argv)
    schemas = args.schema or list(SCHEMAS)
    changes = compare(file_fingerprints(args.before, schemas), file_fingerprints(args.after, schemas))
    for change in changes:
        print(change.line)
    for schema, totals in summary(changes).items():
        print(summary_line(schema, totals))
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in changes], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
