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

REQUIRED_COLUMNS = {
    "partners": ["partner_id", "signup_date", "status", "terminated_at", "updated_at"],
    "transactions": [
        "transaction_id", "partner_id", "occurred_at", "kind", "amount", "currency", "commission_amount",
        "refund_of",
    ],
    "leads": ["lead_id", "partner_id", "created_at", "converted_at", "status"],
    "fx_rates": ["rate_date", "currency", "rate_to_reporting"],
}


def read_entity(landing: Path, entity: str, as_of: date) -> pd.DataFrame:
    """All CSV files of one entity with dt <= as_of, in (dt, file, row) order, every value as text."""
    frames = []
    for path in sorted((landing / entity).glob("dt=*/*.csv")):
        dt = date.fromisoformat(path.parent.name[3:])
        if dt > as_of:
            continue
        # keep_default_na=False: "NA" (North America) and "null" are values here, only an empty field is missing.
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], usecols=REQUIRED_COLUMNS[entity]
        )
        df["_partition_date"] = pd.Timestamp(dt)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=[*REQUIRED_COLUMNS[entity], "_partition_date"], dtype=str)
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
    df = pd.DataFrame(
        {
            "partner_id": trimmed(raw["partner_id"]),
            "signup_date": pd.to_datetime(raw["signup_date"], format="%Y-%m-%d", errors="coerce"),
            "status": trimmed(raw["status"]).str.lower(),
            "snapshot_date": raw["_partition_date"],
        }
    )
    terminated_at, updated_at = utc_timestamp(raw["terminated_at"]), utc_timestamp(raw["updated_at"])
    duplicate = df.duplicated(["snapshot_date", "partner_id"], keep="first")
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
            (df["transaction_id"].duplicated(keep="first"), "duplicate_key"),
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
            (df["lead_id"].duplicated(keep="first"), "duplicate_key"),
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
    duplicate = pd.DataFrame({"d": raw["rate_date"], "c": df["currency"]}).duplicated(keep="first")
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
            "month_start_date": tx["occurred_date"].dt.to_period("M").dt.to_timestamp(),
            "amount_reporting": (tx["amount"] * fx_rate).round(4),
            "net_amount_reporting": (sign * tx["amount"] * fx_rate).round(4),
            "net_commission_reporting": (sign * tx["commission_amount"] * fx_rate).round(4),
        }
    )


def partner_monthly(
    partners: pd.DataFrame, converted: pd.DataFrame, leads: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Partner x month facts from each partner's first month to the as-of month."""
    latest = (
        partners.loc[partners["rejection_reason"].isna()]
        .sort_values("snapshot_date")
        .drop_duplicates("partner_id", keep="last")[["partner_id", "signup_date"]]
    )
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
    out.mkdir(parents=True, exist_ok=True)
    partner_monthly(partners, converted, leads, as_of).to_parquet(out / "fct_partner_monthly.parquet")
    summary = quarantine_summary(
        {"partners": partners, "transactions": transactions, "leads": leads, "fx_rates": fx}
    )
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
