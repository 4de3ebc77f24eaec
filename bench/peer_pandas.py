"""The peer path: the bench's core outputs the way a data team would write them without this project.

Plain pandas, one script: read every landing CSV up to the as-of date, apply the same quarantine
rules, convert to the reporting currency, aggregate per partner and month over a complete spine.
`python -m bench.peer_pandas --landing L --as-of D --out DIR` writes one Parquet file per output.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.lib.contract import ENTITIES


def key_columns(entity: str) -> list[str]:
    """The entity's key columns in the landing contract (`"rate_date, currency"` -> two columns)."""
    return [c.strip() for c in ENTITIES[entity].key.split(",")]


def read_entity(landing: Path, entity: str, as_of: date) -> pd.DataFrame:
    """All CSV files of one entity with dt <= as_of, in (dt, file, row) order, the contract's columns as text."""
    columns = list(ENTITIES[entity].columns)
    frames = []
    for path in sorted((landing / entity).glob("dt=*/*.csv")):
        dt = date.fromisoformat(path.parent.name[3:])
        if dt > as_of:
            continue
        # keep_default_na=False: "NA" (North America) and "null" are values; only an empty field is missing.
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], usecols=columns)
        df["_partition_date"] = pd.Timestamp(dt)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=[*columns, "_partition_date"], dtype=str)
    return pd.concat(frames, ignore_index=True)


def utc_timestamp(text: pd.Series) -> pd.Series:
    """ISO-8601 text with an offset -> naive UTC timestamp; NaT when unparseable."""
    return pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce").dt.tz_localize(None)


def number(text: pd.Series) -> pd.Series:
    """Numeric text -> float; NaN when unparseable."""
    return pd.to_numeric(text, errors="coerce")


def trimmed(text: pd.Series) -> pd.Series:
    """Text with surrounding blanks removed (missing stays missing)."""
    return text.str.strip()


def first_reason(rules: list[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    """The first rule that holds for each row, or missing when none does."""
    conditions = [np.asarray(cond.fillna(False), dtype=bool) for cond, _ in rules]
    reasons = np.select(conditions, [reason for _, reason in rules], default="")
    return pd.Series(reasons, index=index).replace("", None)


def check_partners(raw: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Partner snapshot rows with their rejection reason."""
    terminated_at, updated_at = utc_timestamp(raw["terminated_at"]), utc_timestamp(raw["updated_at"])
    df = pd.DataFrame(
        {
            "partner_id": trimmed(raw["partner_id"]),
            "signup_date": pd.to_datetime(raw["signup_date"], format="%Y-%m-%d", errors="coerce"),
            "status": trimmed(raw["status"]).str.lower(),
            "terminated_at": terminated_at,
            "snapshot_date": raw["_partition_date"],
        }
    )
    duplicate = df.duplicated(["snapshot_date", *key_columns("partners")], keep="first")
    df["rejection_reason"] = first_reason(
        [
            (df["partner_id"].isna() | (df["partner_id"] == ""), "missing_required_field"),
            (raw["signup_date"].isna(), "missing_required_field"),
            (df["status"].isna(), "missing_required_field"),
            (df["signup_date"].isna(), "unparseable_timestamp"),
            (raw["terminated_at"].notna() & terminated_at.isna(), "unparseable_timestamp"),
            (raw["updated_at"].notna() & updated_at.isna(), "unparseable_timestamp"),
            (~df["status"].isin(["active", "suspended", "terminated"]), "invalid_value"),
            (df["signup_date"] > pd.Timestamp(as_of), "future_date"),
            (duplicate, "duplicate_key"),
        ],
        df.index,
    )
    return df


def check_transactions(raw: pd.DataFrame, known_partners: pd.Index, as_of: date) -> pd.DataFrame:
    """Transactions with their rejection reason, refunds checked against valid sales of the same partner."""
    df = pd.DataFrame(
        {
            "transaction_id": trimmed(raw["transaction_id"]),
            "partner_id": trimmed(raw["partner_id"]),
            "occurred_at": utc_timestamp(raw["occurred_at"]),
            "kind": trimmed(raw["kind"]).str.lower(),
            "amount": number(raw["amount"]),
            "currency": trimmed(raw["currency"]).str.upper(),
            "commission_amount": number(raw["commission_amount"]).fillna(0.0),
            "refund_of": trimmed(raw["refund_of"]).replace("", None),
        }
    )
    bad_commission = raw["commission_amount"].notna() & (trimmed(raw["commission_amount"]) != "")
    bad_commission &= number(raw["commission_amount"]).isna()
    field_reason = first_reason(
        [
            (df["transaction_id"].isna() | (df["transaction_id"] == ""), "missing_required_field"),
            (df["partner_id"].isna() | (df["partner_id"] == ""), "missing_required_field"),
            (raw["occurred_at"].isna(), "missing_required_field"),
            (df["kind"].isna(), "missing_required_field"),
            (raw["amount"].isna(), "missing_required_field"),
            (df["currency"].isna(), "missing_required_field"),
            (df["occurred_at"].isna(), "unparseable_timestamp"),
            (~df["kind"].isin(["sale", "refund"]), "invalid_value"),
            (df["amount"].isna(), "invalid_value"),
            (bad_commission, "invalid_value"),
            ((df["amount"] < 0) | (df["commission_amount"] < 0), "negative_amount"),
            (~df["currency"].str.fullmatch(r"[A-Z]{3}").astype("boolean").fillna(False), "bad_currency"),
            (df["occurred_at"].dt.normalize() > pd.Timestamp(as_of), "future_date"),
            (~df["partner_id"].isin(known_partners), "unknown_partner"),
            (df.duplicated(key_columns("transactions"), keep="first"), "duplicate_key"),
        ],
        df.index,
    )
    valid_sales = df.loc[field_reason.isna() & (df["kind"] == "sale"), ["transaction_id", "partner_id"]]
    sale_keys = pd.MultiIndex.from_frame(valid_sales)
    refund_keys = pd.MultiIndex.from_arrays([df["refund_of"], df["partner_id"]])
    orphan_refund = (df["kind"] == "refund") & ~refund_keys.isin(sale_keys)
    df["rejection_reason"] = field_reason.where(
        field_reason.notna(), pd.Series(np.where(orphan_refund, "unknown_refund_of", None), index=df.index)
    )
    return df


def check_leads(raw: pd.DataFrame, known_partners: pd.Index, as_of: date) -> pd.DataFrame:
    """Leads with their rejection reason."""
    df = pd.DataFrame(
        {
            "lead_id": trimmed(raw["lead_id"]),
            "partner_id": trimmed(raw["partner_id"]),
            "created_at": utc_timestamp(raw["created_at"]),
            "converted_at": utc_timestamp(raw["converted_at"]),
            "status": trimmed(raw["status"]).str.lower(),
        }
    )
    df["rejection_reason"] = first_reason(
        [
            (df["lead_id"].isna() | (df["lead_id"] == ""), "missing_required_field"),
            (df["partner_id"].isna() | (df["partner_id"] == ""), "missing_required_field"),
            (raw["created_at"].isna(), "missing_required_field"),
            (df["status"].isna(), "missing_required_field"),
            (df["created_at"].isna(), "unparseable_timestamp"),
            (raw["converted_at"].notna() & df["converted_at"].isna(), "unparseable_timestamp"),
            (~df["status"].isin(["open", "converted", "lost"]), "invalid_value"),
            (df["created_at"].dt.normalize() > pd.Timestamp(as_of), "future_date"),
            (~df["partner_id"].isin(known_partners), "unknown_partner"),
            (df.duplicated(key_columns("leads"), keep="first"), "duplicate_key"),
        ],
        df.index,
    )
    return df


def check_fx_rates(raw: pd.DataFrame) -> pd.DataFrame:
    """Fx rate rows with their rejection reason."""
    df = pd.DataFrame(
        {
            "rate_date": pd.to_datetime(raw["rate_date"], format="%Y-%m-%d", errors="coerce"),
            "currency": trimmed(raw["currency"]).str.upper(),
            "rate_to_reporting": number(raw["rate_to_reporting"]),
        }
    )
    # The key as landed for the date (an unparseable date is still a key) and as normalised for the currency.
    duplicate = df.assign(rate_date=raw["rate_date"]).duplicated(key_columns("fx_rates"), keep="first")
    df["rejection_reason"] = first_reason(
        [
            (
                raw["rate_date"].isna() | df["currency"].isna() | raw["rate_to_reporting"].isna(),
                "missing_required_field",
            ),
            (df["rate_date"].isna(), "unparseable_timestamp"),
            (~df["currency"].str.fullmatch(r"[A-Z]{3}").astype("boolean").fillna(False), "bad_currency"),
            (df["rate_to_reporting"].isna() | (df["rate_to_reporting"] <= 0), "invalid_value"),
            (duplicate, "duplicate_key"),
        ],
        df.index,
    )
    return df


def convert(transactions: pd.DataFrame, fx: pd.DataFrame, reporting_currency: str) -> pd.DataFrame:
    """Valid transactions in the reporting currency at the rate valid on the transaction date."""
    rates = fx.loc[fx["rejection_reason"].isna(), ["currency", "rate_date", "rate_to_reporting"]]
    rates = rates.sort_values(["currency", "rate_date"])
    # The first rate of a currency also applies to every earlier date.
    rates["valid_from_date"] = rates["rate_date"].where(
        rates["currency"].duplicated(keep="first"), pd.Timestamp("1900-01-01")
    )
    tx = transactions.loc[transactions["rejection_reason"].isna()].copy()
    tx["occurred_date"] = tx["occurred_at"].dt.normalize()
    tx = pd.merge_asof(
        tx.sort_values("occurred_date"),
        rates.sort_values("valid_from_date")[["currency", "valid_from_date", "rate_to_reporting"]],
        left_on="occurred_date",
        right_on="valid_from_date",
        by="currency",
    )
    fx_rate = tx["rate_to_reporting"].where(tx["currency"] != reporting_currency, 1.0)
    sign = np.where(tx["kind"] == "refund", -1.0, 1.0)
    return pd.DataFrame(
        {
            "partner_id": tx["partner_id"],
            "kind": tx["kind"],
            "occurred_date": tx["occurred_date"],
            "month_start_date": tx["occurred_date"].dt.to_period("M").dt.to_timestamp(),
            "amount_reporting": (tx["amount"] * fx_rate).round(4),
            "net_amount_reporting": (sign * tx["amount"] * fx_rate).round(4),
            "net_commission_reporting": (sign * tx["commission_amount"] * fx_rate).round(4),
        }
    )


def latest_partners(partners: pd.DataFrame) -> pd.DataFrame:
    """Each partner as of its latest valid snapshot, with the date it counts as terminated (if any)."""
    latest = (
        partners.loc[partners["rejection_reason"].isna()]
        .sort_values("snapshot_date")
        .drop_duplicates("partner_id", keep="last")
    )
    terminated = latest["terminated_at"].dt.normalize()
    fallback = latest["snapshot_date"].where(latest["status"] == "terminated")
    return latest.assign(terminated_date=terminated.fillna(fallback))[["partner_id", "signup_date", "terminated_date"]]


def partner_monthly(latest: pd.DataFrame, converted: pd.DataFrame, leads: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Partner x month facts from each partner's first month to the as-of month."""
    latest = latest[["partner_id", "signup_date"]]
    first_revenue = converted.groupby("partner_id")["month_start_date"].min().rename("first_revenue_month")
    latest = latest.join(first_revenue, on="partner_id")
    signup_month = latest["signup_date"].dt.to_period("M").dt.to_timestamp()
    first_month = latest["first_revenue_month"].where(latest["first_revenue_month"] < signup_month, signup_month)
    as_of_month = pd.Period(as_of, "M")
    first_period = first_month.dt.to_period("M")
    n_months = np.array([(as_of_month - p).n + 1 for p in first_period])
    spine = pd.DataFrame(
        {
            "partner_id": np.repeat(latest["partner_id"].to_numpy(), n_months),
            "month_start_date": [
                (p + k).to_timestamp() for p, n in zip(first_period, n_months, strict=True) for k in range(n)
            ],
        }
    )

    converted = converted.assign(
        is_sale=converted["kind"] == "sale",
        gross=converted["amount_reporting"].where(converted["kind"] == "sale", 0.0),
        refunds=converted["amount_reporting"].where(converted["kind"] == "refund", 0.0),
    )
    revenue = converted.groupby(["partner_id", "month_start_date"]).agg(
        gross_revenue_reporting=("gross", "sum"),
        refunds_reporting=("refunds", "sum"),
        net_revenue_reporting=("net_amount_reporting", "sum"),
        commission_reporting=("net_commission_reporting", "sum"),
        sale_count=("is_sale", "sum"),
        refund_count=("is_sale", lambda s: int((~s).sum())),
    )
    valid_leads = leads.loc[leads["rejection_reason"].isna()]
    created = valid_leads.groupby(
        [valid_leads["partner_id"], valid_leads["created_at"].dt.to_period("M").dt.to_timestamp()]
    ).size()
    converted_leads = valid_leads.loc[(valid_leads["status"] == "converted") & valid_leads["converted_at"].notna()]
    conversions = converted_leads.groupby(
        [converted_leads["partner_id"], converted_leads["converted_at"].dt.to_period("M").dt.to_timestamp()]
    ).size()
    created.index.names = conversions.index.names = ["partner_id", "month_start_date"]

    fct = spine.join(revenue, on=["partner_id", "month_start_date"])
    fct = fct.join(created.rename("leads_created"), on=["partner_id", "month_start_date"])
    fct = fct.join(conversions.rename("leads_converted"), on=["partner_id", "month_start_date"])
    money = ["gross_revenue_reporting", "refunds_reporting", "net_revenue_reporting", "commission_reporting"]
    counts = ["sale_count", "refund_count", "leads_created", "leads_converted"]
    fct[money] = fct[money].fillna(0.0)
    fct[counts] = fct[counts].fillna(0).astype("int64")
    fct["next_month_start_date"] = fct["month_start_date"] + pd.DateOffset(months=1)
    fct["is_active"] = (fct["sale_count"] > 0) & (fct["net_revenue_reporting"] > 0)
    fct["is_partial_period"] = pd.Timestamp(as_of) < fct["next_month_start_date"] - pd.Timedelta(days=1)
    return fct


def classify(fct: pd.DataFrame, converted: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Retention status per partner-month: in the base while the last sale is under 90 days old."""
    churn_days = pd.Timedelta(days=90)
    df = fct.sort_values(["partner_id", "month_start_date"]).reset_index(drop=True)
    sales = converted.loc[converted["kind"] == "sale"]
    bounds = sales.groupby(["partner_id", "month_start_date"])["occurred_date"].agg(["min", "max"])
    df = df.join(bounds, on=["partner_id", "month_start_date"]).merge(
        latest[["partner_id", "terminated_date"]], on="partner_id", how="left"
    )
    first_act = df["min"].where(df["is_active"])
    last_act = df["max"].where(df["is_active"])
    by_partner = df["partner_id"]
    running_max = last_act.groupby(by_partner).cummax().groupby(by_partner).ffill()
    previous = running_max.groupby(by_partner).shift()
    last_activity = last_act.fillna(previous)
    cutoff = df["month_start_date"].where(df["is_partial_period"], df["next_month_start_date"])
    terminated_before = (df["terminated_date"] < df["month_start_date"]).fillna(False)
    terminated_by_end = (df["terminated_date"] < cutoff).fillna(False)
    previous_completion = previous + churn_days
    in_base_start = previous.notna() & ~terminated_before & (previous_completion >= df["month_start_date"])
    in_base_end = last_activity.notna() & ~terminated_by_end & (last_activity + churn_days >= cutoff)
    inactivity_churn = (
        in_base_start & (previous_completion < cutoff) & (~df["is_active"] | (first_act > previous_completion))
    )
    is_new = df["is_active"] & previous.isna() & ~terminated_before
    reactivated = df["is_active"] & previous.notna() & ~terminated_before & (~in_base_start | inactivity_churn)
    termination_churn = ((in_base_start & ~inactivity_churn) | is_new | reactivated) & ~in_base_end
    return df.assign(
        is_in_base_at_start=in_base_start,
        is_in_base_at_end=in_base_end,
        is_new=is_new,
        is_reactivated=reactivated,
        is_churned=inactivity_churn | termination_churn,
        churn_event_count=inactivity_churn.astype(int) + termination_churn.astype(int),
    )


def tiers(fct: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time tiers: rank on trailing-12-month net revenue; top 2% platinum, 8% gold, 17% silver."""
    df = fct.sort_values(["partner_id", "month_start_date"]).merge(latest, on="partner_id", how="left")
    trailing = df.groupby("partner_id")["net_revenue_reporting"].rolling(12, min_periods=1).sum()
    # Rounded like the warehouse's 4-decimal sums, so equal revenues tie instead of differing by 1e-12.
    df["trailing_12m_net_revenue_reporting"] = trailing.reset_index(level=0, drop=True).round(4)
    df["signup_date"] = df["signup_date"].fillna(df["month_start_date"])
    df = df.loc[df["terminated_date"].isna() | (df["terminated_date"] >= df["next_month_start_date"])]
    df = df.sort_values(
        ["month_start_date", "trailing_12m_net_revenue_reporting", "signup_date", "partner_id"],
        ascending=[True, False, True, True],
    )
    df["tier_rank"] = df.groupby("month_start_date").cumcount() + 1
    n = df.groupby("month_start_date")["partner_id"].transform("size")
    rank, revenue = df["tier_rank"], df["trailing_12m_net_revenue_reporting"]
    df["tier"] = np.select(
        [
            revenue <= 0,
            rank <= np.maximum(1, np.floor(n * 0.02)),
            rank <= np.floor(n * 0.10),
            rank <= np.floor(n * 0.27),
        ],
        ["bronze", "platinum", "gold", "silver"],
        default="bronze",
    )
    return df[["partner_id", "month_start_date", "trailing_12m_net_revenue_reporting", "tier_rank", "tier"]]


def retention_monthly(classified: pd.DataFrame, converted: pd.DataFrame) -> pd.DataFrame:
    """Program-level retention counts per month, from the first month with transactions."""
    c = classified.loc[classified["month_start_date"] >= converted["month_start_date"].min()]
    flags = pd.DataFrame(
        {
            "month_start_date": c["month_start_date"],
            "is_partial_period": c["is_partial_period"],
            "partners_start_count": c["is_in_base_at_start"],
            "partners_new_count": c["is_new"],
            "partners_churned_count": c["churn_event_count"],
            "partners_reactivated_count": c["is_reactivated"],
            "partners_end_count": c["is_in_base_at_end"],
            "partners_retained_count": c["is_in_base_at_start"] & c["is_in_base_at_end"],
            "partners_start_churned_count": c["is_in_base_at_start"] & c["is_churned"],
            "partners_new_churned_count": c["is_new"] & c["is_churned"],
            "partners_active_count": c["is_active"],
        }
    )
    return flags.groupby(["month_start_date", "is_partial_period"]).sum().astype("int64").reset_index()


def program_kpis(fct: pd.DataFrame, tier_table: pd.DataFrame, retention: pd.DataFrame) -> pd.DataFrame:
    """Program KPIs per month: partner counts, net revenue, concentration, platinum share, LTV to date."""
    fct = fct.sort_values(["partner_id", "month_start_date"])
    first_month = fct.groupby("partner_id")["month_start_date"].transform("min") == fct["month_start_date"]
    value = (
        fct.assign(joined=first_month)
        .groupby("month_start_date")[["net_revenue_reporting", "commission_reporting", "joined"]]
        .sum()
        .sort_index()
    )
    contribution = (value["net_revenue_reporting"] * 0.7 - value["commission_reporting"]).cumsum()
    partners = value["joined"].cumsum()
    value["average_ltv_to_date_reporting"] = contribution / partners.where(partners > 0)

    positive = fct.loc[fct["net_revenue_reporting"] > 0].sort_values(
        ["month_start_date", "net_revenue_reporting", "partner_id"], ascending=[True, False, True]
    )
    rank = positive.groupby("month_start_date").cumcount() + 1
    count = positive.groupby("month_start_date")["partner_id"].transform("size")
    top = positive["net_revenue_reporting"].where(rank <= np.ceil(count * 0.2), 0.0)
    top_share = (
        top.groupby(positive["month_start_date"]).sum()
        / positive.groupby("month_start_date")["net_revenue_reporting"].sum()
    )

    trailing = tier_table.groupby("month_start_date")["trailing_12m_net_revenue_reporting"].sum()
    platinum = (
        tier_table.loc[tier_table["tier"] == "platinum"]
        .groupby("month_start_date")["trailing_12m_net_revenue_reporting"]
        .sum()
        .reindex(trailing.index, fill_value=0.0)
    )
    platinum_share = (platinum / trailing).where(trailing > 0)

    kpis = retention.rename(
        columns={
            "partners_active_count": "active_partner_count",
            "partners_new_count": "new_partner_count",
            "partners_churned_count": "churned_partner_count",
            "partners_reactivated_count": "reactivated_partner_count",
        }
    )
    kpis = kpis.join(value[["net_revenue_reporting", "average_ltv_to_date_reporting"]], on="month_start_date")
    kpis = kpis.join(top_share.rename("top_20_pct_revenue_share"), on="month_start_date")
    return kpis.join(platinum_share.rename("platinum_revenue_share"), on="month_start_date")


def quarantine_summary(checked: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Quarantined rows per entity and reason."""
    rows = [
        {"entity": entity, "rejection_reason": reason, "row_count": int(n)}
        for entity, df in checked.items()
        for reason, n in df["rejection_reason"].value_counts().items()
    ]
    return pd.DataFrame(rows, columns=["entity", "rejection_reason", "row_count"])


def run(landing: Path, as_of: date, out: Path, reporting_currency: str = "USD") -> None:
    """Compute the peer's core outputs into Parquet files under `out`."""
    partners = check_partners(read_entity(landing, "partners", as_of), as_of)
    known = pd.Index(partners.loc[partners["rejection_reason"].isna(), "partner_id"].unique())
    transactions = check_transactions(read_entity(landing, "transactions", as_of), known, as_of)
    leads = check_leads(read_entity(landing, "leads", as_of), known, as_of)
    fx = check_fx_rates(read_entity(landing, "fx_rates", as_of))
    converted = convert(transactions, fx, reporting_currency)
    latest = latest_partners(partners)
    fct = partner_monthly(latest, converted, leads, as_of)
    out.mkdir(parents=True, exist_ok=True)
    fct.to_parquet(out / "fct_partner_monthly.parquet")
    tier_table = tiers(fct, latest)
    tier_table.to_parquet(out / "fct_partner_tiers_monthly.parquet")
    retention = retention_monthly(classify(fct, converted, latest), converted)
    retention.to_parquet(out / "fct_retention_monthly.parquet")
    program_kpis(fct, tier_table, retention).to_parquet(out / "fct_program_kpis_monthly.parquet")
    summary = quarantine_summary({"partners": partners, "transactions": transactions, "leads": leads, "fx_rates": fx})
    summary.to_parquet(out / "quarantine_summary.parquet")


def main(argv: list[str] | None = None) -> int:
    """CLI of the peer child process."""
    ap = argparse.ArgumentParser(prog="python -m bench.peer_pandas")
    ap.add_argument("--landing", type=Path, required=True)
    ap.add_argument("--as-of", type=date.fromisoformat, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--reporting-currency", default="USD")
    args = ap.parse_args(argv)
    run(args.landing, args.as_of, args.out, args.reporting_currency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
