"""Unit tests for the deterministic demo-data generator (demo/generator.py)."""

from __future__ import annotations

import csv
import functools
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from demo import generator as gen
from demo.generator import BAD_KINDS, COLUMNS, LandingNotEmptyError, generate

SMALL_START = date(2024, 1, 1)
SMALL_END = date(2025, 3, 31)  # 456 days, inclusive
EVENT_ENTITIES = ("transactions", "leads", "payouts", "nps_responses", "interactions", "traffic_daily", "fx_rates")


@functools.cache
def _read_entity(landing: Path, entity: str) -> pd.DataFrame:
    """All day files of an entity as strings ('' for empty), plus the dt folder and file name."""
    types = {c: pa.string() for c in COLUMNS[entity]}
    tables = []
    for f in sorted((landing / entity).glob("dt=*/*")):
        if f.suffix == ".csv":
            t = pacsv.read_csv(
                f, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
            )
        else:
            t = pq.read_table(f)
        t = t.append_column("_dt", pa.array([f.parent.name[3:]] * t.num_rows, pa.string()))
        tables.append(t.append_column("_file", pa.array([f.name] * t.num_rows, pa.string())))
    return pa.concat_tables(tables).to_pandas().fillna("")


def _utc(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, format="ISO8601", utc=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "landing"
    manifest = generate(out, "small")
    return out, manifest, None


@pytest.fixture(scope="module")
def small_tx(small) -> pd.DataFrame:
    return _read_entity(small[0], "transactions")


# ------------------------------------------------------------------------------------------ sizes


def test_small_preset_sizes(small):
    out, m, _ = small
    assert (m["preset"], m["seed"], m["partners"], m["days"]) == ("small", 42, 80, 456)
    assert (m["start"], m["end"]) == ("2024-01-01", "2025-03-31")
    expected_dts = [(SMALL_START + timedelta(days=i)).isoformat() for i in range(456)]
    for entity in EVENT_ENTITIES:
        dts = sorted(p.name[3:] for p in (out / entity).iterdir())
        assert dts == expected_dts, entity
        assert m["files"][entity] == 456
    assert 10_000 <= m["good_rows"]["transactions"] <= 30_000
    # the manifest is written next to the data and equals the returned dict
    assert json.loads((out / "_manifest.json").read_text(encoding="utf-8")) == m


def test_partner_snapshots(small):
    out, m, _ = small
    snaps = sorted(p.name[3:] for p in (out / "partners").iterdir())
    months = [date(2024, mo, 1).isoformat() for mo in range(1, 13)] + [
        date(2025, mo, 1).isoformat() for mo in range(1, 4)
    ]
    assert snaps == months + ["2025-03-31"] == m["snapshot_dates"]
    last = pd.read_csv(out / "partners/dt=2025-03-31/partners.csv", dtype=str, keep_default_na=False)
    assert list(last.columns) == list(COLUMNS["partners"])
    assert len(last) == 80 and last["partner_id"].is_unique
    assert last["partner_id"].iloc[0] == "P00001"
    first = pd.read_csv(out / "partners/dt=2024-01-01/partners.csv", dtype=str, keep_default_na=False)
    assert 5 <= len(first) < 80  # some partners signed up before the range, most inside it
    assert (first["signup_date"] <= "2024-01-01").all() and (last["signup_date"] <= "2025-03-31").all()
    assert set(last["region"]) <= {"EMEA", "NA", "LATAM", "APAC"}
    assert set(last["status"]) <= {"active", "suspended", "terminated"}
    term = last[last["status"] == "terminated"]
    assert len(term) >= 1
    assert (term["terminated_at"] != "").all() and (term["termination_reason"] != "").all()
    assert (last.loc[last["status"] != "terminated", "terminated_at"] == "").all()
    integr = last[last["partner_type"] == "integrator"]
    assert integr["ecosystem"].isin(["Salesforce", "HubSpot", "Dynamics", "Zoho", "Pipedrive"]).all()
    # parents signed up earlier
    with_parent = last[last["parent_partner_id"] != ""]
    signup = dict(zip(last["partner_id"], last["signup_date"], strict=True))
    assert all(
        signup[p] <= signup[c]
        for c, p in zip(with_parent["partner_id"], with_parent["parent_partner_id"], strict=True)
    )


def test_fx_rates(small):
    fx = _read_entity(small[0], "fx_rates")
    assert len(fx) == 3 * 456
    assert set(fx["currency"]) == {"EUR", "GBP", "BRL"}  # USD is the reporting currency: no rows
    assert (fx["rate_date"] == fx["_dt"]).all()
    rates = fx.assign(r=fx["rate_to_reporting"].astype(float)).groupby("currency")["r"].mean()
    assert 1.0 < rates["EUR"] < 1.16 and 1.17 < rates["GBP"] < 1.37 and 0.16 < rates["BRL"] < 0.22


# ----------------------------------------------------------------------------------- determinism


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic_same_seed_identical_bytes(small, tmp_path):
    out, _, _ = small
    again = tmp_path / "again"
    generate(again, "small")
    a, b = _all_files(out), _all_files(again)
    assert a.keys() == b.keys()
    assert len(a) == 16 + 7 * 456 + 4 + 1  # snapshots + event day-files + quarterly targets + manifest
    assert a == b


def test_different_seed_differs(tmp_path):
    a = generate(tmp_path / "a", "small", partners=20, days=30, seed=1)
    b = generate(tmp_path / "b", "small", partners=20, days=30, seed=2)
    assert a["seed"] == 1 and b["seed"] == 2
    fa = (tmp_path / "a/partners/dt=2024-01-30/partners.csv").read_bytes()
    fb = (tmp_path / "b/partners/dt=2024-01-30/partners.csv").read_bytes()
    assert fa != fb


# ------------------------------------------------------------------------------------- bad rows


def test_manifest_reconciles_with_files(small, small_tx):
    out, m, _ = small
    for entity in COLUMNS:
        df = _read_entity(out, entity)
        assert list(df.columns[:-2]) == list(COLUMNS[entity])
        assert len(df) == m["rows"][entity] == m["good_rows"][entity] + m["bad_rows_total"][entity], entity
        assert sum(m["bad_rows"][entity].values()) == m["bad_rows_total"][entity]
    assert set(m["bad_rows"]["transactions"]) == set(BAD_KINDS)
    assert m["bad_rows_total"]["partners"] == 0 and m["bad_rows"]["fx_rates"] == {}


def test_bad_rows_at_configured_rate(small):
    _, m, _ = small
    good, bad = m["good_rows"]["transactions"], m["bad_rows"]["transactions"]
    assert 0.014 <= sum(bad.values()) / good <= 0.026  # bad_rate 0.02 for the small preset
    share = sum(bad.values()) / len(BAD_KINDS)
    for kind in BAD_KINDS:  # roughly equal shares
        assert 0.5 * share <= bad[kind] <= 1.5 * share, (kind, bad)
    assert (
        m["bad_rows_total"]["leads"] > 0
        and m["bad_rows_total"]["leads"] < m["bad_rows_total"]["transactions"]
    )


def test_bad_rows_really_in_files(small, small_tx):
    _, m, _ = small
    tx, bad = small_tx, m["bad_rows"]["transactions"]
    amount = pd.to_numeric(tx["amount"])
    assert int((amount < 0).sum()) == bad["negative_amount"]
    dup = tx[tx.duplicated(subset=["transaction_id"], keep="first")]
    assert len(dup) == bad["duplicate_key"]
    # duplicates are exact copies, in the same day file, appearing after the original
    first = tx.drop_duplicates(subset=["transaction_id"], keep="first").set_index("transaction_id")
    for _, row in dup.iterrows():
        orig = first.loc[row["transaction_id"]]
        assert orig.to_dict() == row.drop("transaction_id").to_dict()
    assert int(tx["partner_id"].str.startswith("PX").sum()) == bad["unknown_partner"]
    assert int((~tx["currency"].isin(["USD", "EUR", "GBP", "BRL"])).sum()) == bad["bad_currency"]
    parsed = pd.to_datetime(tx["occurred_at"], format="ISO8601", utc=True, errors="coerce")
    assert int(parsed.isna().sum()) == bad["unparseable_timestamp"]
    assert int((parsed > pd.Timestamp("2026-12-31", tz="UTC")).sum()) == bad["future_date"]
    # everything else: UTC date of occurred_at == dt folder
    ok = parsed.notna() & (parsed < pd.Timestamp("2026-01-01", tz="UTC"))
    assert (parsed[ok].dt.strftime("%Y-%m-%d") == tx.loc[ok, "_dt"]).all()
    assert tx["occurred_at"].str.endswith("+00:00").mean() > 0.6
    assert tx["occurred_at"].str.contains(r"[+-](?:0[1-9]|1\d):\d\d$").sum() > 100  # other offsets too


# ------------------------------------------------------------------------------------- refunds


def test_refunds_reference_earlier_sales_of_same_partner(small_tx):
    tx = small_tx.drop_duplicates(subset=["transaction_id"])
    tx = tx[~tx["partner_id"].str.startswith("PX")]
    sales = tx[tx["kind"] == "sale"].set_index("transaction_id")
    refunds = tx[tx["kind"] == "refund"]
    assert (sales["refund_of"] == "").all()
    assert 0.02 <= len(refunds) / len(sales) <= 0.06
    assert refunds["refund_of"].isin(sales.index).all()
    orig = sales.loc[refunds["refund_of"]]
    assert (orig["partner_id"].to_numpy() == refunds["partner_id"].to_numpy()).all()
    assert (orig["currency"].to_numpy() == refunds["currency"].to_numpy()).all()
    lag = _utc(refunds["occurred_at"]).to_numpy() - _utc(orig["occurred_at"]).to_numpy()
    assert (lag >= pd.Timedelta(days=6)).all() and (lag <= pd.Timedelta(days=57)).all()
    r_amt, s_amt = pd.to_numeric(refunds["amount"]).to_numpy(), pd.to_numeric(orig["amount"]).to_numpy()
    assert (r_amt > 0).all() and (r_amt <= s_amt).all()
    assert (r_amt < s_amt).any()  # some partial refunds
    assert (refunds["_dt"].str[:7].to_numpy() != orig["_dt"].str[:7].to_numpy()).any()  # cross-month
    assert refunds["refund_of"].is_unique


def test_transactions_only_from_known_partners_and_not_after_termination(small, small_tx):
    out, _, _ = small
    last = pd.read_csv(out / "partners/dt=2025-03-31/partners.csv", dtype=str, keep_default_na=False)
    tx = small_tx[~small_tx["partner_id"].str.startswith("PX")]
    assert tx["partner_id"].isin(last["partner_id"]).all()
    term = last[last["status"] == "terminated"].set_index("partner_id")["terminated_at"]
    t = tx[tx["partner_id"].isin(term.index)]
    parsed = pd.to_datetime(t["occurred_at"], format="ISO8601", utc=True, errors="coerce")
    ok = parsed.notna() & (parsed.dt.year < 2026)
    assert (parsed[ok].to_numpy() < _utc(term.loc[t.loc[ok, "partner_id"]]).to_numpy()).all()
    signup = last.set_index("partner_id")["signup_date"]
    assert (tx["_dt"].to_numpy() >= signup.loc[tx["partner_id"]].to_numpy()).all()


# ---------------------------------------------------------------------------------- other data


def test_cyrillic_names_round_trip(small):
    out, _, _ = small
    path = out / "partners/dt=2025-03-31/partners.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [r["partner_name"] for r in rows]
    cyr = [n for n in names if any("\u0400" <= ch <= "\u04ff" for ch in n)]
    assert 3 <= len(cyr) <= 20  # about 10% of 80
    assert any("«" in n for n in cyr)
    assert names == pd.read_csv(path, dtype=str, keep_default_na=False)["partner_name"].tolist()
    # RFC-4180 quoting survives too (names with commas / double quotes)
    assert any("," in n for n in names)
    assert all(r["email"].count("@") == 1 for r in rows)


def test_other_entities_look_sane(small):
    out, _, _ = small
    leads = _read_entity(out, "leads")
    good = leads[~leads["partner_id"].str.startswith("PX")].drop_duplicates("lead_id")
    assert set(good["status"]) == {"open", "converted", "lost"}
    assert (good.loc[good["status"] == "converted", "converted_at"] != "").all()
    assert (good.loc[good["status"] != "converted", "converted_at"] == "").all()
    pay = _read_entity(out, "payouts")
    assert set(pay["status"]) <= {"requested", "paid", "failed", "blocked"} and "paid" in set(pay["status"])
    assert ((pay["status"] == "blocked") == (pay["blocked_reason"] != "")).all()
    nps = _read_entity(out, "nps_responses")
    assert len(nps) > 0 and nps["score"].astype(int).between(0, 10).all()
    assert set(nps["_dt"].str[5:7]) <= {"02", "03", "06", "07", "10", "11"}  # survey waves
    inter = _read_entity(out, "interactions")
    assert set(inter["kind"]) <= {"meeting", "call", "review", "event", "training", "joint_initiative"}
    # empty days are header-only files, not missing folders
    empty = [
        p for p in (out / "nps_responses").glob("dt=*/nps_responses.csv") if p.read_text().count("\n") == 1
    ]
    assert empty and empty[0].read_text() == "response_id,partner_id,responded_at,score,share_of_wallet\n"


def test_mixed_csv_and_parquet(tmp_path):
    out = tmp_path / "mixed"
    m = generate(out, "small", partners=30, days=60, parquet_share=0.5)
    tx_files = list((out / "transactions").glob("dt=*/*"))
    suffixes = {p.suffix for p in tx_files}
    assert suffixes == {".csv", ".parquet"}
    n_parquet = sum(p.suffix == ".parquet" for p in tx_files)
    assert n_parquet == m["parquet_files"]["transactions"] and 15 <= n_parquet <= 45
    assert len(tx_files) == 60  # one file per day folder, never both formats
    pfile = next(p for p in tx_files if p.suffix == ".parquet")
    table = pq.read_table(pfile)
    assert table.column_names == list(COLUMNS["transactions"])
    assert all(str(t) == "string" for t in table.schema.types)
    # 60 days hold no quarter start after a month of history: no targets yet.
    assert m["files"]["partner_targets"] == 0 and not (out / "partner_targets").exists()
    for entity in set(COLUMNS) - {"partner_targets"}:
        assert len(_read_entity(out, entity)) == m["rows"][entity]


def test_heavy_tail(tmp_path):
    out = tmp_path / "tail"
    generate(out, "small", partners=500, days=200, bad_rate=0.0)
    tx = _read_entity(out, "transactions")
    fx = _read_entity(out, "fx_rates")
    rate = fx.assign(r=fx["rate_to_reporting"].astype(float)).set_index(["rate_date", "currency"])["r"]
    usd = tx["currency"] == "USD"
    r = pd.Series(1.0, index=tx.index)
    r[~usd] = rate.loc[list(zip(tx.loc[~usd, "_dt"], tx.loc[~usd, "currency"], strict=True))].to_numpy()
    signed = pd.to_numeric(tx["amount"]) * r * tx["kind"].map({"sale": 1.0, "refund": -1.0})
    net = signed.groupby(tx["partner_id"]).sum().sort_values(ascending=False)
    top = net.iloc[:10].sum() / net.sum()  # top 2% of 500 partners
    assert 0.2 <= top <= 0.5, top
    assert net.median() < net.mean() / 2  # most partners are small


# ---------------------------------------------------------------------------------- safety / CLI


def test_refuses_non_empty_folder(tmp_path, capsys):
    out = tmp_path / "landing"
    out.mkdir()
    (out / "something.txt").write_text("x")
    with pytest.raises(LandingNotEmptyError):
        generate(out, "small", partners=5, days=3)
    assert gen.main(["--preset", "small", "--partners", "5", "--days", "3", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    # --force wipes the entity folders and writes fresh data
    (out / "transactions" / "dt=1999-01-01").mkdir(parents=True)
    assert (
        gen.main(["--preset", "small", "--partners", "5", "--days", "3", "--out", str(out), "--force"]) == 0
    )
    assert sorted(p.name for p in (out / "transactions").iterdir()) == [
        "dt=2024-01-01",
        "dt=2024-01-02",
        "dt=2024-01-03",
    ]
    assert "transactions" in capsys.readouterr().out


def test_cli_options(tmp_path):
    out = tmp_path / "cli"
    rc = gen.main(
        [
            "--preset",
            "demo",
            "--partners",
            "12",
            "--days",
            "5",
            "--start",
            "2024-02-27",
            "--seed",
            "7",
            "--bad-rate",
            "0",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    m = json.loads((out / "_manifest.json").read_text())
    assert (m["preset"], m["partners"], m["seed"], m["start"], m["end"]) == (
        "demo",
        12,
        7,
        "2024-02-27",
        "2024-03-02",
    )
    assert m["snapshot_dates"] == ["2024-02-27", "2024-03-01", "2024-03-02"]
    assert m["bad_rows_total"]["transactions"] == 0
    assert datetime.fromisoformat(m["end"]).date() - datetime.fromisoformat(m["start"]).date() == timedelta(4)


@pytest.fixture(scope="module")
def health(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Payouts, NPS answers and sales (valid rows only) of a program big enough to compare groups of partners."""
    out = tmp_path_factory.mktemp("health") / "landing"
    generate(out, "small", partners=400, days=540, bad_rate=0.0)
    sales = _read_entity(out, "transactions")
    sales = sales[sales["kind"] == "sale"]
    sales = sales.assign(at=pd.to_datetime(sales["occurred_at"], utc=True, format="ISO8601"))
    return _read_entity(out, "payouts"), _read_entity(out, "nps_responses"), sales


def _sells_within(sales: pd.DataFrame, events: pd.DataFrame, at: str, days: int) -> pd.Series:
    """Whether each event's partner has a sale in the `days` after the event."""
    last_sale = sales.groupby("partner_id")["at"].max()
    return (events["partner_id"].map(last_sale) - events[at]) > pd.Timedelta(days=days)


def test_slow_payouts_precede_churn(health):
    payouts, _, sales = health
    paid = payouts[payouts["status"] == "paid"].copy()
    paid["requested"] = pd.to_datetime(paid["requested_at"], utc=True, format="ISO8601")
    paid_at = pd.to_datetime(paid["paid_at"], utc=True, format="ISO8601")
    paid["hours"] = (paid_at - paid["requested"]).dt.total_seconds() / 3600
    # Requests at least 4 months before the end, so "stops selling within 4 months" is observable.
    paid = paid[paid["requested"] < sales["at"].max() - pd.Timedelta(days=120)]
    keeps_selling = _sells_within(sales, paid, "requested", 120)
    staying, leaving = paid.loc[keeps_selling, "hours"], paid.loc[~keeps_selling, "hours"]
    assert len(leaving) > 20 and staying.median() < 24 < leaving.median()
    assert (staying <= 24).mean() > 0.6 > (leaving <= 24).mean()
    assert (paid["hours"] > 0).all()


def test_promoters_sell_on_and_state_a_bigger_share(health):
    _, nps, sales = health
    nps = nps.assign(at=pd.to_datetime(nps["responded_at"], utc=True, format="ISO8601"), score=nps["score"].astype(int))
    nps = nps[nps["at"] < sales["at"].max() - pd.Timedelta(days=90)]
    keeps_selling = _sells_within(sales, nps, "at", 90)
    promoter_share = nps.groupby(keeps_selling)["score"].apply(lambda s: (s >= 9).mean())
    assert promoter_share[True] > promoter_share[False] + 0.2
    # About 60 % state a share of wallet, within 0-100, larger for partners with more revenue.
    stated = nps[nps["share_of_wallet"] != ""].assign(share=lambda d: d["share_of_wallet"].astype(float))
    assert 0.5 < len(stated) / len(nps) < 0.7 and stated["share"].between(0, 100).all()
    revenue = sales.assign(amount=sales["amount"].astype(float)).groupby("partner_id")["amount"].sum()
    stated = stated.assign(revenue=stated["partner_id"].map(revenue).fillna(0))
    assert stated["share"].corr(stated["revenue"], method="spearman") > 0.2


# ------------------------------------------------------------------------------ traffic and targets


def test_traffic_follows_the_lead_flow_at_one_to_five_percent(small, small_tx):
    out, m, _ = small
    traffic = _read_entity(out, "traffic_daily").assign(
        clicks=lambda d: d["clicks"].astype(int), visitors=lambda d: d["unique_visitors"].astype(int)
    )
    assert int((traffic["clicks"] < 0).sum()) == m["bad_rows"]["traffic_daily"]["negative_amount"] > 0
    good = traffic[traffic["clicks"] >= 0]
    assert (good["traffic_date"] == good["_dt"]).all() and (good["visitors"] <= good["clicks"]).all()
    assert not good.duplicated(["partner_id", "traffic_date"]).any()
    leads = _read_entity(out, "leads").drop_duplicates("lead_id")
    clicks = good.groupby("partner_id")["clicks"].sum()
    rate = (leads.groupby("partner_id").size() / clicks).dropna()
    assert len(rate) > 20 and 0.01 <= rate.median() <= 0.05
    # Clicks scale with the partner's size: more sales, more clicks.
    sales = small_tx[small_tx["kind"] == "sale"].groupby("partner_id").size()
    assert pd.concat([clicks, sales], axis=1).dropna().corr(method="spearman").iloc[0, 1] > 0.5


def test_targets_each_quarter_for_bigger_partners_some_met(small, small_tx):
    out, m, _ = small
    targets = _read_entity(out, "partner_targets").assign(target=lambda d: d["target"].astype(float))
    assert int((targets["target"] <= 0).sum()) == m["bad_rows"]["partner_targets"]["invalid_value"] > 0
    good = targets[targets["target"] > 0]
    # Agreed on each quarter's first day from the second quarter on, for that quarter's three months.
    assert set(good["_dt"]) == {"2024-04-01", "2024-07-01", "2024-10-01", "2025-01-01"}
    months = pd.to_datetime(good["period_start_date"]).dt.to_period("M")
    agreed = pd.to_datetime(good["_dt"]).dt.to_period("M")
    assert ((months - agreed).apply(lambda d: d.n).between(0, 2)).all()
    assert set(good["metric"]) == {"net_revenue", "leads", "sales"}
    assert not good.duplicated(["partner_id", "period_start_date", "metric"]).any()
    assert good["partner_id"].nunique() < m["partners"] / 2  # the bigger partners only
    sales = small_tx[small_tx["kind"] == "sale"]
    sales = sales.assign(month=pd.to_datetime(sales["occurred_at"], utc=True, format="ISO8601", errors="coerce"))
    sales = sales.assign(month=sales["month"].dt.strftime("%Y-%m"))
    per_month = sales.groupby(["partner_id", "month"]).size()
    sale_targets = good[good["metric"] == "sales"]
    keys = zip(sale_targets["partner_id"], sale_targets["period_start_date"].str[:7], strict=True)
    actual = pd.Series([per_month.get(k, 0) for k in keys], index=sale_targets.index)
    met = (actual >= sale_targets["target"]).mean()
    assert 0.2 < met < 0.8
