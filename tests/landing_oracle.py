"""An independent pandas reading of the landing files by the documented rules (docs/data-contract.md).

The end-to-end tests compare the pipeline's marts with what this computes; it shares no rule with the
pipeline, so a mistake in either shows up as a difference. Only the landing contract itself (entity names,
columns, keys: orchestration/lib/contract.py) is shared, since both must read the same files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.lib.contract import ENTITIES


def month_start(day: date) -> date:
    """First day of the day's month."""
    return day.replace(day=1)


def read_entity(landing: Path, entity: str) -> pd.DataFrame:
    """Every landing file of an entity as strings (its contract columns), with the partition day and 1-based row."""
    columns = list(ENTITIES[entity].columns)
    frames = []
    for path in sorted((landing / entity).glob("dt=*/*")):
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], usecols=columns)
        elif path.suffix == ".parquet":
            df = pd.read_parquet(path, columns=columns).astype("string")
        else:
            continue
        df["_day"] = path.parent.name[3:]
        df["_file"] = str(path)
        df["_row"] = range(1, len(df) + 1)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def clean_transactions(landing, as_of: date) -> pd.DataFrame:
    """Staged transactions by the documented quarantine rules, in USD at the transaction-date rate, signed."""
    partners = read_entity(landing, "partners")
    known = set(partners[ENTITIES["partners"].key].dropna().str.strip())
    tx = read_entity(landing, "transactions").sort_values(["_day", "_file", "_row"])
    tx["ts"] = pd.to_datetime(tx["occurred_at"], utc=True, errors="coerce", format="ISO8601")
    tx["amount_num"] = pd.to_numeric(tx["amount"], errors="coerce")
    tx["currency"] = tx["currency"].str.strip().str.upper()
    ok = (
        tx["ts"].notna()
        & tx["amount_num"].notna()
        & (tx["amount_num"] >= 0)
        & tx["currency"].str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)
        & (tx["ts"].dt.date <= as_of)
        & tx["partner_id"].isin(known)
        & tx["kind"].isin(["sale", "refund"])
    )
    tx = tx[ok & ~tx.duplicated(ENTITIES["transactions"].key, keep="first")]
    sales = tx[tx["kind"] == "sale"][["transaction_id", "partner_id"]]
    refund_ok = tx["kind"].eq("refund") & tx.set_index(["refund_of", "partner_id"]).index.isin(
        sales.set_index(["transaction_id", "partner_id"]).index
    )
    tx = tx[tx["kind"].eq("sale") | refund_ok].copy()

    fx = read_entity(landing, "fx_rates")
    fx["rate_date"] = pd.to_datetime(fx["rate_date"]).astype("datetime64[us]")
    fx["rate"] = fx["rate_to_reporting"].astype(float)
    tx["day"] = pd.to_datetime(tx["ts"].dt.date).astype("datetime64[us]")
    rates = []
    for currency, group in tx.groupby("currency"):
        if currency == "USD":
            rates.append(pd.Series(1.0, index=group.index))
            continue
        table = fx[fx["currency"] == currency].sort_values("rate_date")
        merged = pd.merge_asof(
            group[["day"]].reset_index().sort_values("day"),
            table[["rate_date", "rate"]],
            left_on="day",
            right_on="rate_date",
            direction="backward",
        ).set_index("index")
        rates.append(merged["rate"].fillna(table["rate"].iloc[0]))
    tx["rate"] = pd.concat(rates)
    tx["net"] = (tx["amount_num"] * tx["rate"]).round(4) * tx["kind"].map({"sale": 1, "refund": -1})
    tx["date"] = tx["ts"].dt.date
    tx["month"] = tx["date"].map(month_start)
    return tx[["partner_id", "kind", "date", "month", "net"]]


def clean_leads(landing: Path, as_of: date) -> pd.DataFrame:
    """Staged leads by the documented quarantine rules, with their UTC creation and conversion months."""
    partners = read_entity(landing, "partners")
    known = set(partners[ENTITIES["partners"].key].dropna().str.strip())
    leads = read_entity(landing, "leads").sort_values(["_day", "_file", "_row"])
    leads["created"] = pd.to_datetime(leads["created_at"], utc=True, errors="coerce", format="ISO8601")
    leads["converted"] = pd.to_datetime(leads["converted_at"], utc=True, errors="coerce", format="ISO8601")
    leads["status"] = leads["status"].str.strip().str.lower()
    ok = (
        leads["lead_id"].notna()
        & leads["created"].notna()
        & (leads["converted_at"].isna() | leads["converted"].notna())
        & (leads["created"].dt.date <= as_of)
        & leads["partner_id"].isin(known)
        & leads["status"].isin(["open", "converted", "lost"])
    )
    leads = leads[ok & ~leads.duplicated(ENTITIES["leads"].key, keep="first")].copy()
    leads["month"] = leads["created"].dt.date.map(month_start)
    converted = leads["status"].eq("converted") & leads["converted"].notna()
    leads["converted_month"] = (
        leads["converted"].dt.date.where(converted).map(lambda day: month_start(day) if pd.notna(day) else None)
    )
    return leads[["lead_id", "partner_id", "status", "month", "converted_month"]]
