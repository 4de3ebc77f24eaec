"""The bad-input corpus: every kind of broken landing data the pipeline must handle, and its documented outcome.

Each `Case` writes its own files into a landing folder (ids start with the case's name, so its rows are told
apart from every other case's) and says what must happen (docs/data-contract.md, "Bad input: what happens"):

* row cases land on 2024-01-01 (partners), 2024-01-02 (transactions, CSV; payouts, NPS answers, traffic, targets) or
  2024-01-03 (transactions, Parquet; an NPS file without its optional column). They share one landing set
  and one pipeline run, with PRA_ON_BAD_LINES=quarantine: their rows are `staged` (by id) or `quarantined`
  with (file, data row, reason, field);
* stop cases land on 2024-01-10 next to a clean day and run that window alone with the defaults: the load
  stops with an error matching `stops`, and the published version does not change.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.lib.contract import ENTITIES

PARTNERS_DAY, CSV_DAY, PARQUET_DAY = "2024-01-01", "2024-01-02", "2024-01-03"
CLEAN_DAYS = [f"2024-01-{d:02d}" for d in range(4, 10)]  # history for the daily volume check (7 days or more)
LAST_SHARED_DAY, STOP_DAY, DAY_AFTER = CLEAN_DAYS[-1], "2024-01-10", "2024-01-11"
BASE_PARTNERS = 20  # P00001..P00020 in the first snapshot
BASE_ROWS = 20  # clean transactions per day, so the daily volume check has a baseline
SECRET = "anna.secret@example.com"  # personal data that must never reach an error message


def partner_fields(partner_id: str, **over: str) -> dict[str, str]:
    row = {
        "partner_id": partner_id,
        "partner_name": "Acme Ltd",
        "email": SECRET,
        "signup_date": "2023-12-01",
        "region": "NA",
        "country": "US",
        "partner_type": "affiliate",
        "ecosystem": "",
        "parent_partner_id": "",
        "account_manager": "Bob",
        "status": "active",
        "terminated_at": "",
        "termination_reason": "",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    return {**row, **over}


def tx_fields(transaction_id: str, day: str = CSV_DAY, **over: str) -> dict[str, str]:
    row = {
        "transaction_id": transaction_id,
        "partner_id": "P00001",
        "customer_id": "C1",
        "occurred_at": f"{day}T10:00:00+00:00",
        "kind": "sale",
        "amount": "10.00",
        "currency": "USD",
        "commission_amount": "1.00",
        "refund_of": "",
        "product": "widget",
    }
    return {**row, **over}


def line(fields: dict[str, str], columns: tuple[str, ...] | None = None) -> str:
    """One CSV line, values written as given (a case quotes its own values when it means to)."""
    return ",".join(fields[c] for c in (columns or tuple(fields)))


def csv_bytes(lines: list[str], header: str, *, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([header, *lines]) + newline
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def header(entity: str) -> str:
    return ",".join(ENTITIES[entity].columns)


def tx_csv(*rows: dict[str, str], **kw) -> bytes:
    return csv_bytes([line(r) for r in rows], header("transactions"), **kw)


def base_transactions(day: str, count: int = BASE_ROWS) -> bytes:
    return tx_csv(*(tx_fields(f"base-{day}-{i}", day, partner_id=f"P{i:05d}") for i in range(1, count + 1)))


def base_partners(count: int = BASE_PARTNERS) -> bytes:
    rows = [line(partner_fields(f"P{i:05d}", partner_name=f"Partner {i}")) for i in range(1, count + 1)]
    return csv_bytes(rows, header("partners"))


def parquet_bytes(table: pa.Table) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        pq.write_table(table, path)

    return write


def typed_transactions(count: int, amount_type: pa.DataType) -> pa.Table:
    """Transactions as a typed Parquet table: decimal or double money, a timestamp in Asia/Kolkata."""
    kolkata = timezone(timedelta(hours=5, minutes=30))
    ids = [f"typed-{i}" for i in range(1, count + 1)]
    amounts = [decimal.Decimal("12.34") + i for i in range(count)]
    return pa.table(
        {
            "transaction_id": ids,
            "partner_id": [f"P{i:05d}" for i in range(1, count + 1)],
            "customer_id": ["C1"] * count,
            # 15:30 in Kolkata is 10:00 UTC on the same day.
            "occurred_at": pa.array(
                [datetime(2024, 1, 3, 15, 30, tzinfo=kolkata)] * count, pa.timestamp("us", tz="Asia/Kolkata")
            ),
            "kind": ["sale"] * count,
            "amount": pa.array(
                amounts if pa.types.is_decimal(amount_type) else [float(a) for a in amounts], amount_type
            ),
            "currency": ["USD"] * count,
            "commission_amount": pa.array([decimal.Decimal("1.00")] * count, pa.decimal128(18, 2)),
            "refund_of": pa.array([None] * count, pa.string()),
            "product": ["widget"] * count,
        }
    )


def payout_fields(payout_id: str, **over: str) -> dict[str, str]:
    row = {
        "payout_id": payout_id,
        "partner_id": "P00001",
        "requested_at": f"{CSV_DAY}T09:00:00+00:00",
        "paid_at": f"{CSV_DAY}T15:00:00+00:00",
        "amount": "50.00",
        "currency": "USD",
        "status": "paid",
        "blocked_reason": "",
    }
    return {**row, **over}


def nps_fields(response_id: str, **over: str) -> dict[str, str]:
    row = {
        "response_id": response_id,
        "partner_id": "P00001",
        "responded_at": f"{CSV_DAY}T11:00:00+00:00",
        "score": "9",
        "share_of_wallet": "40",
    }
    return {**row, **over}


def traffic_fields(partner_id: str, **over: str) -> dict[str, str]:
    row = {"partner_id": partner_id, "traffic_date": CSV_DAY, "clicks": "10", "unique_visitors": "8"}
    return {**row, **over}


def target_fields(partner_id: str, **over: str) -> dict[str, str]:
    row = {"partner_id": partner_id, "period_start_date": "2024-01-01", "metric": "sales", "target": "5"}
    return {**row, **over}


Content = bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One kind of bad input: the files it writes and what must happen to them."""

    kind: str
    entity: str
    files: dict[str, Content]  # path under the landing folder -> bytes, or a function that writes the file
    staged: tuple[str, ...] = ()  # ids staged from this case's files
    # (file name, data row, reason, field) of each quarantined row of this case's files
    quarantined: tuple[tuple[str, int, str, str | None], ...] = ()
    warns: str = ""  # text of a warning the load must give
    stops: str = ""  # regex of the error (or failed volume check) that stops the load
    window: tuple[str, str] = (STOP_DAY, STOP_DAY)
    accept_mass_change: bool = False  # the documented override lets the stop case through

    def write(self, landing: Path) -> None:
        for relative, content in self.files.items():
            path = landing / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path)
            else:
                path.write_bytes(content)


def tx_file(day: str, name: str) -> str:
    return f"transactions/dt={day}/{name}"


def row_case(kind: str, content: bytes, staged=(), quarantined=(), warns="", name: str | None = None) -> Case:
    """A transactions file of its own on the CSV day; quarantined rows are (data row, reason, field)."""
    file = f"{name or kind}.csv"
    return Case(
        kind,
        "transactions",
        {tx_file(CSV_DAY, file): content},
        tuple(staged),
        tuple((file, row, reason, column) for row, reason, column in quarantined),
        warns,
    )


def ragged(kind: str) -> bytes:
    return csv_bytes(
        [line(tx_fields(f"{kind}-1", amount="100,50")), line(tx_fields(f"{kind}-2"))], header("transactions")
    )


def huge(kind: str) -> bytes:
    return tx_csv(tx_fields(f"{kind}-1", product="x" * (10 * 2**20)), tx_fields(f"{kind}-2"))


def nul(kind: str) -> bytes:
    return tx_csv(tx_fields(f"{kind}-1", customer_id="C\x001"), tx_fields(f"{kind}-2"))


ROW_CASES: list[Case] = [
    row_case("bom", tx_csv(tx_fields("bom-1"), tx_fields("bom-2"), bom=True), staged=["bom-1", "bom-2"]),
    row_case("crlf", tx_csv(tx_fields("crlf-1"), tx_fields("crlf-2"), newline="\r\n"), staged=["crlf-1", "crlf-2"]),
    row_case(
        "quoted_newline",
        tx_csv(tx_fields("quoted_newline-1", product='"Core\nSubscription"'), tx_fields("quoted_newline-2")),
        staged=["quoted_newline-1", "quoted_newline-2"],
    ),
    row_case(
        "reordered_columns",
        csv_bytes(
            [line(tx_fields("reordered_columns-1"), ENTITIES["transactions"].columns[::-1])],
            ",".join(ENTITIES["transactions"].columns[::-1]),
        ),
        staged=["reordered_columns-1"],
    ),
    row_case(
        "extra_column",
        csv_bytes([line(tx_fields("extra_column-1")) + ",SPRING24"], header("transactions") + ",coupon_code"),
        staged=["extra_column-1"],
        warns="extra_column.csv: column(s) coupon_code are not in the contract",
    ),
    row_case("header_only", tx_csv()),
    row_case(
        "lowercase_currency", tx_csv(tx_fields("lowercase_currency-1", currency="usd")), staged=["lowercase_currency-1"]
    ),
    row_case("id_with_spaces", tx_csv(tx_fields(" id_with_spaces-1 ")), staged=["id_with_spaces-1"]),
    row_case(
        "offset_less_timestamp",
        tx_csv(tx_fields("offset_less_timestamp-1", occurred_at=f"{CSV_DAY}T02:00:00")),
        staged=["offset_less_timestamp-1"],
    ),
    row_case(
        "thousand_separator",
        tx_csv(tx_fields("thousand_separator-1", amount='"1,000.00"')),
        quarantined=[(1, "invalid_value", "amount")],
    ),
    row_case(
        "comma_decimal_quoted",
        tx_csv(tx_fields("comma_decimal_quoted-1", amount='"100,50"')),
        quarantined=[(1, "invalid_value", "amount")],
    ),
    row_case(
        "comma_decimal_unquoted",
        ragged("comma_decimal_unquoted"),
        staged=["comma_decimal_unquoted-2"],
        quarantined=[(1, "unreadable_line", None)],
    ),
    row_case("huge_line", huge("huge_line"), staged=["huge_line-2"], quarantined=[(1, "unreadable_line", "product")]),
    row_case("nul_byte", nul("nul_byte"), staged=["nul_byte-2"], quarantined=[(1, "unreadable_line", "customer_id")]),
    Case(
        "duplicate_ids_across_files",
        "transactions",
        {
            tx_file(CSV_DAY, "dup_a.csv"): tx_csv(tx_fields("dup-1")),
            tx_file(CSV_DAY, "dup_b.csv"): tx_csv(tx_fields("dup-1")),
        },
        staged=("dup-1",),
        quarantined=(("dup_b.csv", 1, "duplicate_key", "transaction_id"),),
    ),
    row_case(
        "duplicate_first_valid_copy_wins",
        tx_csv(tx_fields("first_valid-1", currency="EURO"), tx_fields("first_valid-1")),
        staged=["first_valid-1"],
        quarantined=[(1, "bad_currency", "currency")],
    ),
    row_case(
        "refund_of_unknown_sale",
        tx_csv(tx_fields("refund_unknown-1", kind="refund", refund_of="no-such-sale")),
        quarantined=[(1, "unknown_refund_of", "refund_of")],
    ),
    row_case(
        "refund_before_sale",
        tx_csv(
            tx_fields("refund_early-1"),
            tx_fields(
                "refund_early-2", kind="refund", refund_of="refund_early-1", occurred_at=f"{CSV_DAY}T09:00:00+00:00"
            ),
        ),
        staged=["refund_early-1"],
        quarantined=[(2, "refund_before_sale", "occurred_at")],
    ),
    row_case(
        "negative_amount",
        tx_csv(tx_fields("negative_amount-1", amount="-5.00")),
        quarantined=[(1, "negative_amount", "amount")],
    ),
    row_case(
        "unknown_currency",
        tx_csv(tx_fields("unknown_currency-1", currency="EURO")),
        quarantined=[(1, "bad_currency", "currency")],
    ),
    row_case(
        "currency_without_rates",
        tx_csv(tx_fields("no_rate-1", currency="JPY"), tx_fields("no_rate-2", currency="RUR")),
        quarantined=[(1, "no_fx_rate", "currency"), (2, "no_fx_rate", "currency")],
    ),
    row_case(
        "impossible_date",
        tx_csv(tx_fields("impossible_date-1", occurred_at="2024-02-30T10:00:00+00:00")),
        quarantined=[(1, "unparseable_timestamp", "occurred_at")],
    ),
    row_case(
        "future_date",
        tx_csv(tx_fields("future_date-1", occurred_at="2031-01-01T10:00:00+00:00")),
        quarantined=[(1, "future_date", "occurred_at")],
    ),
    row_case(
        "missing_required_field",
        tx_csv(
            tx_fields("missing-1", customer_id=""),
            tx_fields("missing-2", commission_amount=""),
            tx_fields("missing-3", product="  "),
        ),
        quarantined=[
            (1, "missing_required_field", "customer_id"),
            (2, "missing_required_field", "commission_amount"),
            (3, "missing_required_field", "product"),
        ],
    ),
    row_case(
        "unknown_partner",
        tx_csv(tx_fields("unknown_partner-1", partner_id="PX404")),
        quarantined=[(1, "unknown_partner", "partner_id")],
    ),
    row_case(
        "value_not_allowed", tx_csv(tx_fields("not_allowed-1", kind="gift")), quarantined=[(1, "invalid_value", "kind")]
    ),
    Case(
        "partner_value_not_allowed",
        "partners",
        {
            f"partners/dt={PARTNERS_DAY}/partner_status.csv": csv_bytes(
                [line(partner_fields("P00101", status="retired")), line(partner_fields(" P00102 "))], header("partners")
            )
        },
        staged=("P00102",),
        quarantined=(("partner_status.csv", 1, "invalid_value", "status"),),
    ),
    Case(
        "partner_self_parent",
        "partners",
        {
            f"partners/dt={PARTNERS_DAY}/partner_self_parent.csv": csv_bytes(
                [
                    line(partner_fields("P00103", parent_partner_id="P00103")),
                    line(partner_fields("P00104", parent_partner_id="P00001")),
                ],
                header("partners"),
            )
        },
        staged=("P00104",),
        quarantined=(("partner_self_parent.csv", 1, "invalid_value", "parent_partner_id"),),
    ),
    # Valid rows each: the cycle shows only across rows, so both stay staged and it is a finding of
    # fct_partner_hierarchy_issues (test_corpus.py), like a parent in no snapshot.
    Case(
        "partner_parent_cycle",
        "partners",
        {
            f"partners/dt={PARTNERS_DAY}/partner_parent_cycle.csv": csv_bytes(
                [
                    line(partner_fields("P00105", parent_partner_id="P00106")),
                    line(partner_fields("P00106", parent_partner_id="P00105")),
                ],
                header("partners"),
            )
        },
        staged=("P00105", "P00106"),
    ),
    Case(
        "partner_unknown_parent",
        "partners",
        {
            f"partners/dt={PARTNERS_DAY}/partner_unknown_parent.csv": csv_bytes(
                [line(partner_fields("P00107", parent_partner_id="PX99999"))], header("partners")
            )
        },
        staged=("P00107",),
    ),
    Case(
        "paid_before_requested",
        "payouts",
        {
            f"payouts/dt={CSV_DAY}/paid_before_requested.csv": csv_bytes(
                [
                    line(payout_fields("paid_before_requested-1", paid_at=f"{CSV_DAY}T08:59:59+00:00")),
                    line(payout_fields("paid_before_requested-2")),
                ],
                header("payouts"),
            )
        },
        staged=("paid_before_requested-2",),
        quarantined=(("paid_before_requested.csv", 1, "timestamp_out_of_order", "paid_at"),),
    ),
    Case(
        "share_of_wallet_above_100",
        "nps_responses",
        {
            f"nps_responses/dt={CSV_DAY}/share_above_100.csv": csv_bytes(
                [line(nps_fields("share_above_100-1", share_of_wallet="150")), line(nps_fields("share_above_100-2"))],
                header("nps_responses"),
            )
        },
        staged=("share_above_100-2",),
        quarantined=(("share_above_100.csv", 1, "invalid_value", "share_of_wallet"),),
    ),
    # Traffic and targets have no id column: a staged row is named by its key, and each case uses its own partners.
    Case(
        "negative_clicks",
        "traffic_daily",
        {
            f"traffic_daily/dt={CSV_DAY}/negative_clicks.csv": csv_bytes(
                [line(traffic_fields("P00003", clicks="-5", unique_visitors="2")), line(traffic_fields("P00004"))],
                header("traffic_daily"),
            )
        },
        staged=(f"P00004|{CSV_DAY}",),
        quarantined=(("negative_clicks.csv", 1, "negative_amount", "clicks"),),
    ),
    Case(
        "visitors_above_clicks",
        "traffic_daily",
        {
            f"traffic_daily/dt={CSV_DAY}/visitors_above_clicks.csv": csv_bytes(
                [line(traffic_fields("P00005", unique_visitors="12")), line(traffic_fields("P00006"))],
                header("traffic_daily"),
            )
        },
        staged=(f"P00006|{CSV_DAY}",),
        quarantined=(("visitors_above_clicks.csv", 1, "invalid_value", "unique_visitors"),),
    ),
    Case(
        "target_not_positive",
        "partner_targets",
        {
            f"partner_targets/dt={CSV_DAY}/target_not_positive.csv": csv_bytes(
                [
                    line(target_fields("P00003", metric="net_revenue", target="0")),
                    line(target_fields("P00003", metric="leads", target="10")),
                ],
                header("partner_targets"),
            )
        },
        staged=("P00003|2024-01-01|leads",),
        quarantined=(("target_not_positive.csv", 1, "invalid_value", "target"),),
    ),
    Case(
        "target_not_a_month_start",
        "partner_targets",
        {
            f"partner_targets/dt={CSV_DAY}/target_mid_month.csv": csv_bytes(
                [line(target_fields("P00004", period_start_date="2024-01-15")), line(target_fields("P00004"))],
                header("partner_targets"),
            )
        },
        staged=("P00004|2024-01-01|sales",),
        quarantined=(("target_mid_month.csv", 1, "invalid_value", "period_start_date"),),
    ),
    Case(
        "optional_column_absent",
        "nps_responses",
        {
            f"nps_responses/dt={PARQUET_DAY}/without_share.csv": csv_bytes(
                [line(nps_fields("without_share-1", responded_at=f"{PARQUET_DAY}T11:00:00+00:00"),
                      ("response_id", "partner_id", "responded_at", "score"))],
                "response_id,partner_id,responded_at,score",
            )
        },
        staged=("without_share-1",),
    ),
    Case(
        "parquet_with_typed_columns",
        "transactions",
        {tx_file(PARQUET_DAY, "typed.parquet"): parquet_bytes(typed_transactions(BASE_ROWS, pa.decimal128(18, 2)))},
        staged=tuple(f"typed-{i}" for i in range(1, BASE_ROWS + 1)),
    ),
]


def stop_case(kind: str, files: dict[str, Content], stops: str, **kw) -> Case:
    return Case(kind, "transactions", files, stops=stops, **kw)


def partners_file(day: str, name: str = "partners.csv") -> str:
    return f"partners/dt={day}/{name}"


STOP_CASES: list[Case] = [
    stop_case("empty_file", {tx_file(STOP_DAY, "empty.csv"): b""}, r"empty\.csv: empty file, expected a header row"),
    stop_case(
        "missing_column",
        {
            tx_file(STOP_DAY, "no_customer.csv"): csv_bytes(
                [line({k: v for k, v in tx_fields("x").items() if k != "customer_id"})],
                ",".join(c for c in ENTITIES["transactions"].columns if c != "customer_id"),
            )
        },
        r"no_customer\.csv: missing column\(s\) customer_id",
    ),
    stop_case(
        "renamed_column",
        {
            tx_file(STOP_DAY, "renamed.csv"): csv_bytes(
                [line(tx_fields("x"))], header("transactions").replace("customer_id", "client_id")
            )
        },
        r"renamed\.csv: missing column\(s\) customer_id",
    ),
    Case(
        "not_utf8",
        "partners",
        {
            partners_file(STOP_DAY): (
                header("partners")
                + "\n"
                + "\n".join(
                    line(partner_fields(f"P{i:05d}", partner_name="Ромашка" if i == 7 else f"Partner {i}"))
                    for i in range(1, BASE_PARTNERS + 1)
                )
                + "\n"
            ).encode("cp1251")
        },
        stops=r"partners\.csv: not UTF-8 at line 8, column 8 \(byte 0xd0.*iconv -f CP1251 -t UTF-8",
    ),
    stop_case(
        "comma_decimal_unquoted (default: fail)",
        {tx_file(STOP_DAY, "ragged.csv"): ragged("ragged")},
        r"ragged\.csv: line 2 \(data row 1\): 11 fields, expected 10",
    ),
    stop_case(
        "huge_line (default: fail)",
        {tx_file(STOP_DAY, "huge.csv"): huge("huge")},
        r"huge\.csv: line 2 \(data row 1\), column product: value longer than 2 MiB",
    ),
    stop_case(
        "nul_byte (default: fail)",
        {tx_file(STOP_DAY, "nul.csv"): nul("nul")},
        r"nul\.csv: data row 1, column customer_id: NUL byte",
    ),
    stop_case(
        "csv_and_parquet_in_one_day",
        {tx_file(STOP_DAY, "more.parquet"): parquet_bytes(typed_transactions(2, pa.decimal128(18, 2)))},
        rf"dt={STOP_DAY}: both CSV and Parquet files \(more\.parquet, transactions\.csv\)",
    ),
    stop_case(
        "parquet_with_float_money",
        {
            tx_file(STOP_DAY, "transactions.csv"): None,
            tx_file(STOP_DAY, "float.parquet"): parquet_bytes(typed_transactions(BASE_ROWS, pa.float64())),
        },
        r"float\.parquet: column amount is Parquet type double",
    ),
    stop_case("missing_day", {}, rf"has no landing folder dt=<day> for {DAY_AFTER}", window=(STOP_DAY, DAY_AFTER)),
    Case(
        "partner_snapshot_halves",
        "partners",
        {partners_file(STOP_DAY): base_partners(BASE_PARTNERS // 2)},
        stops=r"partners\.csv: 10 rows, previous snapshot dt=2024-01-01 had 27 \(-63 %\)",
    ),
    Case(
        "partner_snapshot_halves (accepted: --accept-mass-change)",
        "partners",
        {partners_file(STOP_DAY): base_partners(BASE_PARTNERS // 2)},
        accept_mass_change=True,
    ),
    stop_case(
        "transactions_day_collapses",
        {tx_file(STOP_DAY, "transactions.csv"): base_transactions(STOP_DAY, 1)},
        rf"transactions/dt={STOP_DAY}/transactions\.csv: 1 rows, median of the previous 9 loaded days 20",
    ),
]


def shared_landing(landing: Path) -> None:
    """The clean base of every case: 20 partners, 20 transactions a day to LAST_SHARED_DAY, every row case's files."""
    Case(
        "base",
        "",
        {
            partners_file(PARTNERS_DAY): base_partners(),
            tx_file(PARTNERS_DAY, "transactions.csv"): base_transactions(PARTNERS_DAY),
            tx_file(CSV_DAY, "transactions.csv"): base_transactions(CSV_DAY),
            **{tx_file(day, "transactions.csv"): base_transactions(day) for day in CLEAN_DAYS},
        },
    ).write(landing)
    for case in ROW_CASES:
        case.write(landing)


def stop_landing(landing: Path, case: Case) -> None:
    """A clean stop day, then the case's files (None removes a file)."""
    (landing / tx_file(STOP_DAY, "transactions.csv")).parent.mkdir(parents=True, exist_ok=True)
    (landing / tx_file(STOP_DAY, "transactions.csv")).write_bytes(base_transactions(STOP_DAY))
    for relative, content in case.files.items():
        if content is None:
            (landing / relative).unlink()
    Case(case.kind, case.entity, {k: v for k, v in case.files.items() if v is not None}).write(landing)


CASES = ROW_CASES + STOP_CASES
