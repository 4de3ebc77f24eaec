"""Do the bench paths compute the same thing? Exact counts and flags, money to the cent.

Each path's core outputs are loaded into DataFrames with the same columns; `compare` returns a list of
human-readable differences (empty when the paths agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

CENT = 0.005  # two amounts agree "to the cent" when they round to the same cent: |a - b| <= half a cent
RATIO = 1e-9  # shares and rates are doubles computed from the same exact sums
MAX_SHOWN = 5


@dataclass(frozen=True)
class Output:
    """One core output: its key, the columns that must match exactly and the money columns."""

    keys: tuple[str, ...]
    exact: tuple[str, ...]
    money: tuple[str, ...] = ()
    ratios: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [*self.keys, *self.exact, *self.money, *self.ratios]


OUTPUTS: dict[str, Output] = {
    "fct_partner_monthly": Output(
        keys=("partner_id", "month_start_date"),
        exact=(
            "sale_count",
            "refund_count",
            "leads_created",
            "leads_converted",
            "is_active",
            "is_partial_period",
        ),
        money=(
            "gross_revenue_reporting",
            "refunds_reporting",
            "net_revenue_reporting",
            "commission_reporting",
        ),
    ),
    "fct_partner_tiers_monthly": Output(
        keys=("partner_id", "month_start_date"),
        exact=("tier", "tier_rank"),
        money=("trailing_12m_net_revenue_reporting",),
    ),
    "fct_retention_monthly": Output(
        keys=("month_start_date",),
        exact=(
            "is_partial_period",
            "partners_start_count",
            "partners_new_count",
            "partners_churned_count",
            "partners_reactivated_count",
            "partners_end_count",
            "partners_retained_count",
            "partners_start_churned_count",
            "partners_new_churned_count",
            "partners_active_count",
        ),
    ),
    "fct_program_kpis_monthly": Output(
        keys=("month_start_date",),
        exact=(
            "is_partial_period",
            "active_partner_count",
            "new_partner_count",
            "churned_partner_count",
            "reactivated_partner_count",
        ),
        money=("net_revenue_reporting", "average_ltv_to_date_reporting"),
        ratios=("top_20_pct_revenue_share", "platinum_revenue_share"),
    ),
    "quarantine_summary": Output(keys=("entity", "rejection_reason"), exact=("row_count",)),
}

# The entities the core outputs are computed from (the pipeline quarantines every entity).
CORE_ENTITIES = ("partners", "transactions", "leads", "fx_rates")

PIPELINE_QUERIES = {
    "fct_partner_monthly": "select * from marts.fct_partner_monthly",
    "fct_partner_tiers_monthly": "select * from marts.fct_partner_tiers_monthly",
    # Retention by month at program level (the mart also breaks it down by tier, type, region, ecosystem).
    "fct_retention_monthly": "select * from marts.fct_retention_monthly where dimension_name = 'program'",
    "fct_program_kpis_monthly": "select * from marts.fct_program_kpis_monthly",
    "quarantine_summary": f"""
        select entity, rejection_reason, count(*) as row_count
        from staging.stg_program__quarantine
        where entity in {CORE_ENTITIES}
        group by all
    """,
}


def _normalise(name: str, df: pd.DataFrame) -> pd.DataFrame:
    spec = OUTPUTS[name]
    df = df[spec.columns].copy()
    for col in spec.keys:
        if "date" in col:
            df[col] = pd.to_datetime(df[col]).dt.strftime("%Y-%m-%d")
        else:
            df[col] = df[col].astype(str)
    for col in spec.exact:
        if col.startswith("is_"):
            df[col] = df[col].astype(bool)
        elif col == "tier":
            df[col] = df[col].astype(str)
        else:
            df[col] = df[col].astype("int64")
    for col in (*spec.money, *spec.ratios):
        df[col] = df[col].astype("float64")
    return df.sort_values(list(spec.keys)).reset_index(drop=True)


def load_duckdb(db: Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Core outputs from a DuckDB file, one query per output."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: _normalise(name, con.execute(sql).df()) for name, sql in queries.items()}


def load_pipeline(work_db: Path) -> dict[str, pd.DataFrame]:
    """The pipeline's marts (and quarantine) in the work warehouse."""
    return load_duckdb(work_db, PIPELINE_QUERIES)


def load_floor(out_db: Path) -> dict[str, pd.DataFrame]:
    """The floor script's output tables."""
    return load_duckdb(out_db, {name: f"select * from {name}" for name in OUTPUTS})


def load_peer(out_dir: Path) -> dict[str, pd.DataFrame]:
    """The pandas peer's Parquet files."""
    return {name: _normalise(name, pd.read_parquet(out_dir / f"{name}.parquet")) for name in OUTPUTS}


def _shown(items: list[str]) -> str:
    more = f" (+{len(items) - MAX_SHOWN} more)" if len(items) > MAX_SHOWN else ""
    return ", ".join(items[:MAX_SHOWN]) + more


def compare_output(name: str, expected: pd.DataFrame, actual: pd.DataFrame, label: str) -> list[str]:
    """Differences of one output of path `label` against the reference."""
    spec = OUTPUTS[name]
    keys = list(spec.keys)
    diffs: list[str] = []
    if len(expected) != len(actual):
        diffs.append(f"{label} {name}: {len(actual)} rows, reference has {len(expected)}")
    for frame, which in ((expected, "reference"), (actual, label)):
        dup = frame[frame.duplicated(keys, keep=False)]
        if len(dup):
            diffs.append(f"{label} {name}: {len(dup)} rows with a duplicate key in {which}")
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_ref", "_got"), indicator=True)
    for side, which in (("left_only", "missing"), ("right_only", "unexpected")):
        rows = merged[merged["_merge"] == side]
        if len(rows):
            shown = ["|".join(str(v) for v in r) for r in rows[keys].itertuples(index=False)]
            diffs.append(f"{label} {name}: {len(rows)} {which} keys: {_shown(shown)}")
    both = merged[merged["_merge"] == "both"]
    for col in (*spec.exact, *spec.money, *spec.ratios):
        ref, got = both[f"{col}_ref"], both[f"{col}_got"]
        if col in spec.exact:
            bad = ref != got
        else:
            tolerance = CENT if col in spec.money else RATIO
            bad = ((ref - got).abs() > tolerance) | (ref.isna() != got.isna())
        if bad.any():
            rows = both[bad]
            shown = [
                f"{'|'.join(str(r[k]) for k in keys)}: {r[f'{col}_got']} vs {r[f'{col}_ref']}"
                for _, r in rows.head(MAX_SHOWN).iterrows()
            ]
            diffs.append(f"{label} {name}.{col}: {int(bad.sum())} rows differ: {_shown(shown)}")
    return diffs


def compare(reference: dict[str, pd.DataFrame], other: dict[str, pd.DataFrame], label: str) -> list[str]:
    """Every difference of path `label` against the reference path, over all core outputs."""
    diffs: list[str] = []
    for name in OUTPUTS:
        if name not in other:
            diffs.append(f"{label}: output {name} is missing")
            continue
        diffs.extend(compare_output(name, reference[name], other[name], label))
    return diffs


def headline(outputs: dict[str, pd.DataFrame]) -> dict[str, float | int]:
    """A few totals a person can eyeball (and the results file records)."""
    fct = outputs["fct_partner_monthly"]
    return {
        "partner_months": len(fct),
        "partners": int(fct["partner_id"].nunique()),
        "sales": int(fct["sale_count"].sum()),
        "active_partner_months": int(fct["is_active"].sum()),
        "net_revenue_reporting": round(float(fct["net_revenue_reporting"].sum()), 2),
        "quarantined_rows": int(outputs["quarantine_summary"]["row_count"].sum()),
    }
