"""An independent pandas reading of the landing files by the documented rules (docs/data-contract.md).

The end-to-end tests compare the pipeline's marts with what this computes; it shares no rule with the
pipeline, so a mistake in either shows up as a difference. Only the landing contract itself (entity names,
columns, keys: orchestration/lib/contract.py) is shared, since both must read the same files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from orchestration.lib.contract import ENTITIES


def month_start(day: date) -> date:
    """First day of the day's month."""
    return day.replace(day=1)


def read_entity(landing: Path, entity: str) -> pd.DataFrame:
    """Every landing file of an entity as strings (its contract columns), with the partition day and 1-based row."""
    columns = list(ENTITIES[entity].columns)
    optional = set(ENTITIES[entity].optional_columns)
    frames = []
    for path in sorted((landing / entity).glob("dt=*/*")):
        if path.suffix == ".csv":
            present = pd.read_csv(path, dtype=str, nrows=0).columns
            wanted = [c for c in columns if c in present or c not in optional]
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], usecols=wanted)
        elif path.suffix == ".parquet":
            present = pq.read_schema(path).names
            df = pd.read_parquet(path, columns=[c for c in columns if c in present or c not in optional])
            df = df.astype("string")
        else:
            continue
        for column in optional - set(df.columns):  # an optional column absent from the file is null
            df[column] = pd.NA
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


def _known_partners(landing: Path) -> set[str]:
    partners = read_entity(landing, "partners")
    return set(partners[ENTITIES["partners"].key].dropna().str.strip())


def clean_nps(landing: Path, as_of: date) -> pd.DataFrame:
    """Staged NPS answers by the documented rules: score 0-10, share 0-100 or empty, known partner, first copy."""
    nps = read_entity(landing, "nps_responses").sort_values(["_day", "_file", "_row"])
    nps["ts"] = pd.to_datetime(nps["responded_at"], utc=True, errors="coerce", format="ISO8601")
    nps["score_num"] = pd.to_numeric(nps["score"], errors="coerce")
    nps["share"] = pd.to_numeric(nps["share_of_wallet"], errors="coerce")
    ok = (
        nps["ts"].notna()
        & nps["score_num"].between(0, 10)
        & (nps["share_of_wallet"].isna() | nps["share"].between(0, 100))
        & (nps["ts"].dt.date <= as_of)
        & nps["partner_id"].str.strip().isin(_known_partners(landing))
    )
    nps = nps[ok & ~nps.duplicated(ENTITIES["nps_responses"].key, keep="first")].copy()
    nps["month"] = nps["ts"].dt.date.map(month_start)
    return nps[["response_id", "partner_id", "ts", "month", "score_num", "share"]]


def program_nps(nps: pd.DataFrame, min_responses: int = 10) -> pd.DataFrame:
    """Per month: answers, responding partners (latest answer each), promoters, passives, detractors, NPS."""
    latest = nps.sort_values(["ts", "response_id"]).groupby(["partner_id", "month"]).tail(1)
    counts = latest.groupby("month").agg(
        responding=("partner_id", "size"),
        promoters=("score_num", lambda s: int((s >= 9).sum())),
        passives=("score_num", lambda s: int(s.between(7, 8).sum())),
        detractors=("score_num", lambda s: int((s <= 6).sum())),
        share_answers=("share", lambda s: int(s.notna().sum())),
    )
    counts["responses"] = nps.groupby("month").size()
    counts["nps"] = (100 * (counts["promoters"] - counts["detractors"]) / counts["responding"]).where(
        counts["responding"] >= min_responses
    )
    return counts.reset_index()


def clean_payouts(landing: Path, as_of: date) -> pd.DataFrame:
    """Staged payouts by the documented rules, including paid_at not before requested_at."""
    po = read_entity(landing, "payouts").sort_values(["_day", "_file", "_row"])
    po["requested"] = pd.to_datetime(po["requested_at"], utc=True, errors="coerce", format="ISO8601")
    po["paid"] = pd.to_datetime(po["paid_at"], utc=True, errors="coerce", format="ISO8601")
    po["amount_num"] = pd.to_numeric(po["amount"], errors="coerce")
    po["currency"] = po["currency"].str.strip().str.upper()
    po["status"] = po["status"].str.strip().str.lower()
    fx = read_entity(landing, "fx_rates")
    rated = set(fx["currency"].str.strip().str.upper()) | {"USD"}
    ok = (
        po["requested"].notna()
        & (po["paid_at"].isna() | po["paid"].notna())
        & po["amount_num"].notna()
        & po["status"].isin(["requested", "paid", "failed", "blocked"])
        & (po["amount_num"] >= 0)
        & po["currency"].str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)
        & (po["requested"].dt.date <= as_of)
        & ~(po["paid"] < po["requested"]).fillna(False).astype(bool)
        & po["partner_id"].str.strip().isin(_known_partners(landing))
        & po["currency"].isin(rated)
    )
    po = po[ok & ~po.duplicated(ENTITIES["payouts"].key, keep="first")].copy()
    po["hours"] = (po["paid"] - po["requested"]).dt.total_seconds() / 3600
    po.loc[po["status"] != "paid", "hours"] = np.nan
    return po[["payout_id", "partner_id", "requested", "paid", "status", "hours"]]


def program_payouts(po: pd.DataFrame, months: list[date], as_of: date, sla_hours: int = 24) -> pd.DataFrame:
    """Per month: requested, paid, failed, blocked, hours to payment (median, p90), SLA and twice-a-month shares."""
    po = po.copy()
    po["req_month"] = po["requested"].dt.date.map(month_start)
    paid = po[po["hours"].notna()].copy()
    paid["paid_month"] = paid["paid"].dt.date.map(month_start)
    as_of_end = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    rows = []
    for month in months:
        requested = po[po["req_month"] == month]
        in_month = paid[paid["paid_month"] == month]
        per_partner = in_month.groupby("partner_id").size()
        end = pd.Timestamp(month, tz="UTC") + pd.DateOffset(months=1)
        due = po["requested"] + pd.Timedelta(hours=sla_hours)
        still_open = po["status"].eq("requested") | (po["status"].eq("paid") & (po["paid"] >= end))
        open_past = int((still_open & (po["requested"] < end) & (due < end) & (due < as_of_end)).sum())
        hours = in_month["hours"].to_numpy()
        rows.append(
            (
                month,
                len(requested),
                len(in_month),
                int(requested["status"].eq("failed").sum()),
                int(requested["status"].eq("blocked").sum()),
                int((in_month["hours"] <= sla_hours).sum()),
                float(np.percentile(hours, 50)) if len(hours) else None,
                float(np.percentile(hours, 90)) if len(hours) else None,
                len(per_partner),
                int((per_partner >= 2).sum()),
                open_past,
            )
        )
    columns = ["month", "requested", "paid", "failed", "blocked", "within_sla", "median", "p90", "paid_partners",
               "paid_twice", "open_past_sla"]
    return pd.DataFrame(rows, columns=columns)


def clean_leads(landing: Path, as_of: date) -> pd.DataFrame:
    """Staged leads by the documented quarantine rules, with their UTC creation and conversion months."""
    known = _known_partners(landing)
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


def clean_traffic(landing: Path, as_of: date) -> pd.DataFrame:
    """Staged traffic days by the documented rules (counts >= 0, visitors <= clicks, known partner, first copy)."""
    known = _known_partners(landing)
    traffic = read_entity(landing, "traffic_daily").sort_values(["_day", "_file", "_row"])
    traffic["day"] = pd.to_datetime(traffic["traffic_date"], errors="coerce", format="%Y-%m-%d").dt.date
    traffic["clicks_num"] = pd.to_numeric(traffic["clicks"], errors="coerce")
    traffic["visitors_num"] = pd.to_numeric(traffic["unique_visitors"], errors="coerce")
    ok = (
        traffic["day"].notna()
        & (traffic["clicks_num"] >= 0)
        & (traffic["visitors_num"] >= 0)
        & (traffic["visitors_num"] <= traffic["clicks_num"])
        & (traffic["day"] <= as_of)
        & traffic["partner_id"].isin(known)
    )
    traffic = traffic[ok]
    traffic = traffic[~traffic.duplicated(["partner_id", "day"], keep="first")].copy()
    traffic["month"] = traffic["day"].map(month_start)
    return traffic[["partner_id", "day", "month", "clicks_num"]].rename(columns={"clicks_num": "clicks"})


def clean_targets(landing: Path) -> pd.DataFrame:
    """Staged monthly targets by the documented rules (month start, known metric, target > 0, known partner)."""
    known = _known_partners(landing)
    targets = read_entity(landing, "partner_targets").sort_values(["_day", "_file", "_row"])
    targets["month"] = pd.to_datetime(targets["period_start_date"], errors="coerce", format="%Y-%m-%d").dt.date
    targets["metric"] = targets["metric"].str.strip().str.lower()
    targets["target_num"] = pd.to_numeric(targets["target"], errors="coerce")
    ok = (
        targets["month"].notna()
        & targets["month"].map(lambda day: pd.notna(day) and day.day == 1).astype(bool)
        & targets["metric"].isin(["net_revenue", "leads", "sales"])
        & (targets["target_num"] > 0)
        & targets["partner_id"].isin(known)
    )
    targets = targets[ok]
    targets = targets[~targets.duplicated(["partner_id", "month", "metric"], keep="first")]
    return targets[["partner_id", "month", "metric", "target_num"]].rename(columns={"target_num": "target"})
