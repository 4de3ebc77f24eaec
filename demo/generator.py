"""Deterministic demo-data generator for the partner program (see docs/data-contract.md).

Writes ``<landing>/<entity>/dt=YYYY-MM-DD/<entity>.csv`` (or ``.parquet``) for every day of the range,
plus monthly ``partners`` snapshots and a ``_manifest.json`` summary.  Plain Python + numpy + pyarrow:
no Dagster imports, so it can run anywhere (CLI: ``pra-generate``).

Design notes
------------
* Partners (the "universe") are created up front: signup waves, heavy-tailed value, activity segments
  (active / churned / reactivated), suspensions and terminations.  This is O(partners) memory.
* Events are generated **day by day** from ``np.random.default_rng([seed, day_index, entity_code])`` and
  written immediately, so memory never depends on the number of transactions (the ``large`` preset
  streams ~50M rows).  The only cross-day state is small: refunds scheduled for the next 8 weeks,
  per-partner commission balances (for payouts), the fx random walk and id counters.
* Same arguments + seed => byte-identical files (manifest included: it carries no timings).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.lib.contract import ENTITIES as CONTRACT

GENERATOR_VERSION = 2

# --------------------------------------------------------------------------------------------------
# Entity names and column order: the landing contract (orchestration/lib/contract.py), nowhere else.
# --------------------------------------------------------------------------------------------------
COLUMNS: dict[str, tuple[str, ...]] = {name: entity.columns for name, entity in CONTRACT.items()}
ENTITIES: tuple[str, ...] = tuple(COLUMNS)
EVENT_ENTITIES: tuple[str, ...] = tuple(e for e in ENTITIES if e != "partners")

# Stable numeric codes used to derive per-day random streams.  Never renumber (breaks determinism).
ENTITY_CODE = {
    "partners": 1,
    "transactions": 2,
    "leads": 3,
    "payouts": 4,
    "nps_responses": 5,
    "interactions": 6,
    "fx_rates": 7,
    "traffic_daily": 8,
    "partner_targets": 9,
}
_BAD_STREAM = 100  # + entity code: stream for bad-row injection
_FMT_STREAM = 200  # + entity code: stream for csv/parquet choice

BAD_KINDS: tuple[str, ...] = (
    "duplicate_key",
    "unknown_partner",
    "negative_amount",
    "unparseable_timestamp",
    "bad_currency",
    "future_date",
)
# Which bad kinds each entity can receive, and its rate relative to the transaction bad_rate.
BAD_KINDS_BY_ENTITY: dict[str, tuple[str, ...]] = {
    "transactions": BAD_KINDS,
    "leads": ("duplicate_key", "unknown_partner", "unparseable_timestamp", "future_date"),
    "payouts": BAD_KINDS + ("timestamp_out_of_order",),
    "nps_responses": ("invalid_value",),
    "traffic_daily": ("negative_amount",),
    "partner_targets": ("invalid_value",),
}
BAD_RATE_FACTOR = {
    "transactions": 1.0,
    "leads": 0.4,
    "payouts": 0.4,
    "nps_responses": 1.0,
    "traffic_daily": 0.4,
    "partner_targets": 1.0,
}
# Partner-level traffic parameters: a stream of their own (no day uses this index), so adding them left every
# other entity's files byte-identical.
_TRAFFIC_PARAMS_DAY = 300_000
# Partner-level decline and recovery parameters: a stream of their own too, so the universe's draws stay as they were.
_DECLINE_PARAMS_DAY = 300_001
TARGET_METRICS = ("net_revenue", "leads", "sales")

# --------------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    partners: int
    days: int
    start: date
    bad_rate: float
    sales_scale: float  # expected sales per partner-day at value 1 (tuned so presets hit their sizes)


PRESETS: dict[str, Preset] = {
    "small": Preset(partners=80, days=456, start=date(2024, 1, 1), bad_rate=0.02, sales_scale=1.6),
    "demo": Preset(partners=2_000, days=1_096, start=date(2023, 1, 1), bad_rate=0.005, sales_scale=2.6),
    "large": Preset(partners=100_000, days=1_096, start=date(2023, 1, 1), bad_rate=0.005, sales_scale=2.6),
}

# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------
CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "BRL")
CUR_IDX = {c: i for i, c in enumerate(CURRENCIES)}
# USD per one unit of the currency (centre of the fx random walk).
USD_PER_UNIT = np.array([1.0, 1.08, 1.27, 0.19])

REGIONS: tuple[str, ...] = ("EMEA", "NA", "LATAM", "APAC")
REGION_WEIGHTS = (0.40, 0.30, 0.15, 0.15)
# country -> (weight within region, main currency, home utc offset in minutes)
COUNTRIES: dict[str, list[tuple[str, float, str, int]]] = {
    "EMEA": [
        ("GB", 0.22, "GBP", 0),
        ("DE", 0.18, "EUR", 60),
        ("FR", 0.14, "EUR", 60),
        ("NL", 0.08, "EUR", 60),
        ("ES", 0.08, "EUR", 60),
        ("IT", 0.07, "EUR", 60),
        ("PL", 0.06, "EUR", 60),
        ("SE", 0.05, "EUR", 60),
        ("AE", 0.06, "USD", 240),
        ("ZA", 0.06, "USD", 120),
    ],
    "NA": [("US", 0.85, "USD", -300), ("CA", 0.15, "USD", -300)],
    "LATAM": [
        ("BR", 0.50, "BRL", -180),
        ("MX", 0.22, "USD", -360),
        ("AR", 0.10, "USD", -180),
        ("CL", 0.09, "USD", -180),
        ("CO", 0.09, "USD", -300),
    ],
    "APAC": [
        ("AU", 0.25, "USD", 600),
        ("SG", 0.20, "USD", 480),
        ("IN", 0.25, "USD", 330),
        ("JP", 0.20, "USD", 540),
        ("NZ", 0.10, "USD", 720),
    ],
}
# Cyrillic-named partners sit in these EMEA countries (they invoice in EUR).
CYRILLIC_COUNTRIES = (("KZ", 300), ("UZ", 300), ("BG", 120), ("RS", 60))
SECONDARY_CURRENCY = {"USD": "EUR", "EUR": "USD", "GBP": "EUR", "BRL": "USD"}

PARTNER_TYPES = ("integrator", "agency", "affiliate", "reseller", "influencer")
PARTNER_TYPE_WEIGHTS = (0.15, 0.15, 0.35, 0.25, 0.10)
PARTNER_TYPE_VALUE = np.array([1.6, 1.0, 0.7, 1.4, 0.5])
ECOSYSTEMS = ("Salesforce", "HubSpot", "Dynamics", "Zoho", "Pipedrive")
ACCOUNT_MANAGERS = {
    "EMEA": ("Alice Moreau", "Elena Petrova"),
    "NA": ("Dana Whitfield", "Marcus Reed"),
    "LATAM": ("Bruno Costa",),
    "APAC": ("Chen Wei",),
}
ALL_MANAGERS = tuple(m for ms in ACCOUNT_MANAGERS.values() for m in ms)
TERMINATION_REASONS_ACTIVE = ("policy_violation", "fraud_suspected", "contract_ended", "partner_request")

PRODUCTS = (
    "Core Subscription",
    "Pro Subscription",
    "Enterprise Suite",
    "Analytics Add-on",
    "Onboarding Services",
)
PRODUCT_WEIGHTS = np.array([0.40, 0.25, 0.08, 0.17, 0.10])
PRODUCT_PRICE = np.array([1.0, 2.2, 6.0, 0.6, 1.5])

INTERACTION_KINDS = ("meeting", "call", "review", "event", "training", "joint_initiative")
INTERACTION_WEIGHTS = np.array([0.25, 0.40, 0.10, 0.10, 0.10, 0.05])

BLOCKED_REASONS = ("kyc_incomplete", "tax_form_missing", "bank_details_invalid", "suspected_fraud")

# Offsets (minutes) a timestamp may carry; index 0 is UTC.
_HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 8, 6, 5, 4, 3, 2, 1.0])
_HOUR_CDF = np.cumsum(_HOUR_WEIGHTS) / _HOUR_WEIGHTS.sum()

_REFUND_RATE = 0.04

_LATIN_A = (
    "Blue",
    "Nordic",
    "Bright",
    "Summit",
    "Harbor",
    "Silver",
    "Northwind",
    "Crescent",
    "Granite",
    "Evergreen",
    "Pioneer",
    "Atlas",
    "Copper",
    "Meridian",
    "Quantum",
    "Vertex",
    "Lumen",
    "Cobalt",
    "Redwood",
    "Horizon",
    "Keystone",
    "Orbit",
    "Polar",
    "Sterling",
    "Cedar",
    "Falcon",
    "Brightline",
    "Tidal",
    "Aurora",
    "Union",
)
_LATIN_B = (
    "Digital",
    "Consulting",
    "Solutions",
    "Partners",
    "Labs",
    "Media",
    "Systems",
    "Growth",
    "Analytics",
    "Cloud",
    "Ventures",
    "Works",
    "Networks",
    "Advisory",
    "Commerce",
    "Software",
)
_LATIN_SUFFIX = ("", "", "", " Ltd", " LLC", " Inc.", " GmbH", " B.V.", " S.A.", " Pty Ltd", " AB", " Ltda.")
_SURNAMES = (
    "Smith",
    "Clarke",
    "Müller",
    "García",
    "Rossi",
    "Dubois",
    "Silva",
    "Novak",
    "Tanaka",
    "Patel",
    "O'Brien",
    "Jensen",
    "Kowalski",
    "Nguyen",
    "Santos",
    "Fischer",
)
_CYR_WORDS = (
    ("Ромашка", "romashka"),
    ("Вектор", "vektor"),
    ("Альфа Софт", "alfa-soft"),
    ("Техносфера", "tekhnosfera"),
    ("Северный Ветер", "severny-veter"),
    ("Интеграция Плюс", "integratsiya-plus"),
    ("Горизонт", "gorizont"),
    ("Меридиан", "meridian"),
    ("Сфера", "sfera"),
    ("Байтек", "baytek"),
    ("Профит", "profit"),
    ("Светлый Путь", "svetly-put"),
)
_CYR_FORMS = ("ООО «{}»", "АО «{}»", "ТОО «{}»", "{} Групп")
_FIRST = (
    "anna",
    "james",
    "maria",
    "li",
    "oleg",
    "sofia",
    "tom",
    "aigerim",
    "lucas",
    "priya",
    "kenji",
    "emma",
    "rafael",
    "nina",
    "omar",
    "julia",
)
_LAST = (
    "smith",
    "ivanova",
    "garcia",
    "chen",
    "novak",
    "silva",
    "brown",
    "kim",
    "patel",
    "rossi",
    "muller",
    "sato",
    "dubois",
    "nowak",
    "ahmed",
    "jones",
)


class LandingNotEmptyError(FileExistsError):
    """Raised when the landing folder already holds files and ``force`` was not given."""


# --------------------------------------------------------------------------------------------------
# Formatting helpers (vectorised)
# --------------------------------------------------------------------------------------------------
_OFFSET_CACHE: dict[int, str] = {}


def _offset_str(minutes: int) -> str:
    s = _OFFSET_CACHE.get(minutes)
    if s is None:
        sign = "+" if minutes >= 0 else "-"
        m = abs(minutes)
        s = f"{sign}{m // 60:02d}:{m % 60:02d}"
        _OFFSET_CACHE[minutes] = s
    return s


def _fmt_ts(utc_seconds: np.ndarray, offset_minutes: np.ndarray | None = None) -> pa.Array:
    """UTC epoch seconds (+ offset to render in) -> ISO-8601 with offset, e.g. 2024-03-01T09:15:00+03:00."""
    utc_seconds = np.asarray(utc_seconds, dtype=np.int64)
    if offset_minutes is None:
        offset_minutes = np.zeros(len(utc_seconds), dtype=np.int64)
    local = utc_seconds + offset_minutes.astype(np.int64) * 60
    body = np.datetime_as_string(local.astype("datetime64[s]"), unit="s")
    uniq, inv = np.unique(offset_minutes, return_inverse=True)
    offs = np.array([_offset_str(int(m)) for m in uniq], dtype="U6")[inv] if len(uniq) else np.array([], "U6")
    return pa.array(np.strings.add(body, offs), type=pa.string())


def _fmt_date(day_seconds: np.ndarray) -> pa.Array:
    days = np.asarray(day_seconds, np.int64) // 86400
    return pa.array(np.datetime_as_string(days.astype("datetime64[D]"), unit="D"))


def _fmt_ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(nums, np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, s, "")


def _fmt_cents(cents: np.ndarray) -> pa.Array:
    """Non-negative integer cents -> '123.45'."""
    cents = np.asarray(cents, np.int64)
    units = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, frac, ".")


def _cents_str(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


_PA_CACHE: dict[int, tuple[list[str], pa.Array]] = {}


def _take_str(values: list[str], idx: np.ndarray) -> pa.Array:
    hit = _PA_CACHE.get(id(values))
    if hit is None or hit[0] is not values:
        hit = (values, pa.array(values, pa.string()))
        _PA_CACHE[id(values)] = hit
    return hit[1].take(pa.array(np.asarray(idx, np.int64)))


def _sample_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds within a UTC day, weighted towards business hours."""
    hours = np.searchsorted(_HOUR_CDF, rng.random(n), side="right")
    return hours * 3600 + rng.integers(0, 3600, n)


def _day_rng(seed: int, day: int, code: int) -> np.random.Generator:
    return np.random.default_rng([seed, day, code])


# --------------------------------------------------------------------------------------------------
# The partner universe
# --------------------------------------------------------------------------------------------------
_NEVER = 10**9  # sentinel "day index" meaning never


@dataclass
class Universe:
    n: int
    ids: list[str]
    names: list[str]
    emails: list[str]
    signup_day: np.ndarray  # day index relative to start (may be negative)
    signup_ts: np.ndarray  # utc epoch seconds of signup (updated_at at creation)
    region: list[str]
    country: list[str]
    ptype: list[str]
    ecosystem: list[str | None]
    parent: list[str | None]
    manager: list[str]
    value: np.ndarray  # heavy-tailed value multiplier (mean 1)
    q: np.ndarray  # value percentile 0..1
    lam: np.ndarray  # expected sales per active day
    ticket_usd: np.ndarray  # median ticket in USD
    comm_rate: np.ndarray
    main_cur: np.ndarray  # currency index
    sec_cur: np.ndarray
    sec_share: np.ndarray
    home_offset: np.ndarray  # minutes
    cust_base: np.ndarray
    cust_pool: np.ndarray
    seg_start: np.ndarray  # (n, K) active segments [start, end) in day indices
    seg_end: np.ndarray
    term_day: np.ndarray  # day index of termination or _NEVER
    term_ts: np.ndarray
    term_reason: list[str | None]
    susp_start: np.ndarray
    susp_end: np.ndarray
    susp_start_ts: np.ndarray
    susp_end_ts: np.ndarray
    payout_dom: np.ndarray  # day of month payouts are requested
    lead_rate: np.ndarray
    interaction_rate: np.ndarray


def _company_name(rng: np.random.Generator, i: int, cyrillic: bool) -> tuple[str, str]:
    """(display name, ascii slug for the email domain)."""
    if cyrillic:
        word, slug = _CYR_WORDS[rng.integers(len(_CYR_WORDS))]
        form = _CYR_FORMS[rng.integers(len(_CYR_FORMS))]
        return form.format(word), slug
    style = rng.random()
    if style < 0.06:  # exercises RFC-4180 quoting (comma)
        a, b = _SURNAMES[rng.integers(len(_SURNAMES))], _SURNAMES[rng.integers(len(_SURNAMES))]
        return f"{a}, {b} & Partners", f"{a}-{b}".lower().replace("'", "")
    if style < 0.09:  # exercises quote escaping
        a = _LATIN_A[rng.integers(len(_LATIN_A))]
        b = _LATIN_B[rng.integers(len(_LATIN_B))]
        return f'The "{a}" {b} Collective', f"the-{a}-{b}".lower()
    a = _LATIN_A[rng.integers(len(_LATIN_A))]
    b = _LATIN_B[rng.integers(len(_LATIN_B))]
    suf = _LATIN_SUFFIX[rng.integers(len(_LATIN_SUFFIX))]
    return f"{a} {b}{suf}", f"{a}-{b}".lower()


def _slugify(s: str) -> str:
    table = str.maketrans({"ü": "u", "í": "i", "é": "e", "á": "a", "ó": "o", "ç": "c", "ã": "a"})
    return s.translate(table)


def build_universe(n: int, n_days: int, start: date, seed: int, sales_scale: float = 1.6) -> Universe:
    rng = np.random.default_rng([seed, 0, ENTITY_CODE["partners"]])
    start_s = _epoch_seconds(start)

    # --- signups: 15% before the range, the rest in recruiting waves + steady background ---
    n_pre = int(round(0.15 * n))
    n_in = n - n_pre
    pre = rng.integers(-730, 0, n_pre) if n_pre else np.empty(0, np.int64)
    n_wave = int(round(0.45 * n_in))
    n_waves = max(2, n_days // 180)
    centres = np.sort(rng.integers(min(15, n_days - 1), max(16, n_days - 30), n_waves))
    wave_of = rng.integers(0, n_waves, n_wave)
    waves = np.clip(np.round(centres[wave_of] + np.abs(rng.normal(0, 8, n_wave))), 0, n_days - 1)
    # background grows slowly over time (programme gets more popular)
    background = np.floor(np.sqrt(rng.random(n_in - n_wave)) * n_days)
    signup = np.sort(np.concatenate([pre, waves, background]).astype(np.int64))
    signup = np.clip(signup, -730, n_days - 1)
    signup_ts = start_s + signup * 86400 + rng.integers(8 * 3600, 18 * 3600, n)

    # --- static attributes ---
    width = max(5, len(str(n)))
    ids = [f"P{i + 1:0{width}d}" for i in range(n)]
    ptype_idx = rng.choice(len(PARTNER_TYPES), size=n, p=PARTNER_TYPE_WEIGHTS)
    region_idx = rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS)
    cyrillic = rng.random(n) < 0.10
    region_idx[cyrillic] = 0  # EMEA

    names: list[str] = []
    emails: list[str] = []
    countries: list[str] = []
    main_cur = np.zeros(n, np.int64)
    home_offset = np.zeros(n, np.int64)
    seen: set[str] = set()
    for i in range(n):
        name, slug = _company_name(rng, i, bool(cyrillic[i]))
        if name in seen:
            k = 2
            while f"{name} {k}" in seen:
                k += 1
            name, slug = f"{name} {k}", f"{slug}-{k}"
        seen.add(name)
        names.append(name)
        first, last = _FIRST[rng.integers(len(_FIRST))], _LAST[rng.integers(len(_LAST))]
        emails.append(f"{first}.{last}@{_slugify(slug)}.example")
        region = REGIONS[region_idx[i]]
        if cyrillic[i]:
            c, off = CYRILLIC_COUNTRIES[rng.integers(len(CYRILLIC_COUNTRIES))]
            cur = "EUR"
        else:
            opts = COUNTRIES[region]
            w = np.array([o[1] for o in opts])
            c, _, cur, off = opts[rng.choice(len(opts), p=w / w.sum())]
        countries.append(c)
        main_cur[i] = CUR_IDX[cur]
        home_offset[i] = off
    sec_cur = np.array([CUR_IDX[SECONDARY_CURRENCY[CURRENCIES[c]]] for c in main_cur], np.int64)
    sec_share = np.where(rng.random(n) < 0.5, rng.beta(1.5, 8, n), 0.0)

    ptype = [PARTNER_TYPES[k] for k in ptype_idx]
    eco_pick = rng.integers(0, len(ECOSYSTEMS), n)
    eco_agency = rng.random(n) < 0.4
    ecosystem = [
        ECOSYSTEMS[eco_pick[i]]
        if (ptype[i] == "integrator" or (ptype[i] == "agency" and eco_agency[i]))
        else None
        for i in range(n)
    ]
    # parents: ~10% have a parent that signed up strictly earlier
    parent: list[str | None] = [None] * n
    has_parent = rng.random(n) < 0.10
    earlier = np.searchsorted(signup, signup, side="left")  # count of partners with strictly earlier signup
    for i in np.flatnonzero(has_parent & (earlier > 0)):
        parent[i] = ids[int(rng.integers(0, earlier[i]))]
    regions = [REGIONS[k] for k in region_idx]
    mgr_u = rng.random(n)
    mgr_pick = rng.integers(0, 100, n)
    manager = [
        ACCOUNT_MANAGERS[regions[i]][mgr_pick[i] % len(ACCOUNT_MANAGERS[regions[i]])]
        if mgr_u[i] < 0.85
        else ALL_MANAGERS[mgr_pick[i] % len(ALL_MANAGERS)]
        for i in range(n)
    ]

    # --- value: heavy tail (lognormal) x partner type ---
    value = np.minimum(rng.lognormal(0.0, 1.05, n), 40.0) * PARTNER_TYPE_VALUE[ptype_idx]
    value /= value.mean()
    q = np.empty(n)
    q[np.argsort(value, kind="stable")] = (np.arange(n) + 0.5) / n
    lam = sales_scale * value
    ticket_usd = rng.lognormal(np.log(85.0), 0.45, n) * (1 + 0.6 * q)
    comm_rate = np.round(rng.uniform(0.10, 0.30, n), 2)
    cust_pool = np.maximum(5, np.round(20 + 400 * value)).astype(np.int64)
    cust_base = np.concatenate([[0], np.cumsum(cust_pool)[:-1]])

    # --- activity segments: active -> churned -> (maybe) reactivated ---
    K = 3
    seg_start = np.full((n, K), _NEVER, np.int64)
    seg_end = np.full((n, K), _NEVER, np.int64)
    never_active = rng.random(n) < 0.08
    first_delay = rng.geometric(1 / 20, n)
    mean_len1 = 120 + 480 * q**1.5
    len1 = np.maximum(20, rng.exponential(mean_len1)).astype(np.int64)
    gap = rng.integers(60, 271, (n, K))
    react = rng.random((n, K)) < np.array([0.0, 0.35, 0.2])
    lens = np.maximum(20, rng.exponential(100 + 250 * q[:, None], (n, K))).astype(np.int64)
    s0 = signup + first_delay
    seg_start[:, 0] = s0
    seg_end[:, 0] = s0 + len1
    for k in range(1, K):
        ok = react[:, k] & (seg_end[:, k - 1] < _NEVER)
        seg_start[ok, k] = seg_end[ok, k - 1] + gap[ok, k]
        seg_end[ok, k] = seg_start[ok, k] + lens[ok, k]
    seg_start[never_active] = _NEVER
    seg_end[never_active] = _NEVER

    last_end = np.where(seg_end < _NEVER, seg_end, -_NEVER).max(axis=1)
    # terminations: clean-up of long-inactive partners, plus a few for cause while active
    term_day = np.full(n, _NEVER, np.int64)
    term_reason: list[str | None] = [None] * n
    cleanup = (last_end > -_NEVER) & (rng.random(n) < 0.30)
    cleanup_day = last_end + rng.integers(30, 151, n)
    never_cleanup = never_active & (rng.random(n) < 0.5)
    never_day = signup + rng.integers(90, 366, n)
    cause = rng.random(n) < 0.03
    cause_day = seg_start[:, 0] + (rng.random(n) * np.maximum(1, seg_end[:, 0] - seg_start[:, 0])).astype(
        np.int64
    )
    cause_reason = rng.integers(0, len(TERMINATION_REASONS_ACTIVE), n)
    for i in range(n):
        d = _NEVER
        reason = None
        if cause[i] and not never_active[i]:
            d, reason = int(cause_day[i]), TERMINATION_REASONS_ACTIVE[cause_reason[i]]
        elif cleanup[i]:
            d, reason = int(cleanup_day[i]), "inactivity"
        elif never_cleanup[i]:
            d, reason = int(never_day[i]), "never_activated"
        if d < n_days:
            term_day[i] = d
            term_reason[i] = reason
    # no activity on/after termination
    seg_end = np.minimum(seg_end, term_day[:, None])
    seg_start = np.where(seg_start >= seg_end, _NEVER, seg_start)
    seg_end = np.where(seg_start == _NEVER, _NEVER, seg_end)
    term_ts = start_s + term_day * 86400 + rng.integers(9 * 3600, 17 * 3600, n)

    # suspensions (~4%): a stretch inside the partner's life, some never lifted
    susp_start = np.full(n, _NEVER, np.int64)
    susp_end = np.full(n, _NEVER, np.int64)
    susp = (rng.random(n) < 0.04) & ~never_active
    ss = seg_start[:, 0] + rng.integers(10, 200, n)
    se = ss + np.where(rng.random(n) < 0.25, _NEVER, rng.integers(14, 121, n))
    ok = susp & (ss < n_days) & (ss < term_day)
    susp_start[ok] = ss[ok]
    susp_end[ok] = np.minimum(se[ok], term_day[ok])
    susp_start_ts = start_s + np.minimum(susp_start, 10**6) * 86400 + rng.integers(8 * 3600, 18 * 3600, n)
    susp_end_ts = start_s + np.minimum(susp_end, 10**6) * 86400 + rng.integers(8 * 3600, 18 * 3600, n)

    return Universe(
        n=n,
        ids=ids,
        names=names,
        emails=emails,
        signup_day=signup,
        signup_ts=signup_ts,
        region=regions,
        country=countries,
        ptype=ptype,
        ecosystem=ecosystem,
        parent=parent,
        manager=manager,
        value=value,
        q=q,
        lam=lam,
        ticket_usd=ticket_usd,
        comm_rate=comm_rate,
        main_cur=main_cur,
        sec_cur=sec_cur,
        sec_share=sec_share,
        home_offset=home_offset,
        cust_base=cust_base,
        cust_pool=cust_pool,
        seg_start=seg_start,
        seg_end=seg_end,
        term_day=term_day,
        term_ts=term_ts,
        term_reason=term_reason,
        susp_start=susp_start,
        susp_end=susp_end,
        susp_start_ts=susp_start_ts,
        susp_end_ts=susp_end_ts,
        payout_dom=rng.integers(1, 29, n),
        lead_rate=0.03 + 0.25 * value**0.8,
        interaction_rate=0.008 + 0.05 * q**3 + 0.01 * np.minimum(value, 5.0),
    )


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def _epoch_seconds(d: date) -> int:
    return int((d - date(1970, 1, 1)).days) * 86400


class _Writer:
    """Writes one entity day-file as CSV or Parquet (all values strings; empty CSV field == null)."""

    def __init__(self, landing: Path, seed: int, parquet_share: float):
        self.landing = landing
        self.seed = seed
        self.parquet_share = parquet_share
        self.files = {e: 0 for e in ENTITIES}
        self.parquet_files = {e: 0 for e in ENTITIES}
        self.rows = {e: 0 for e in ENTITIES}
        self._headers = {e: (",".join(cols) + "\n").encode() for e, cols in COLUMNS.items()}
        self._schemas = {e: pa.schema([(c, pa.string()) for c in cols]) for e, cols in COLUMNS.items()}

    def use_parquet(self, entity: str, day: int) -> bool:
        if self.parquet_share <= 0:
            return False
        r = _day_rng(self.seed, day, _FMT_STREAM + ENTITY_CODE[entity]).random()
        return bool(r < self.parquet_share)

    def _folder(self, entity: str, dt: date) -> Path:
        folder = self.landing / entity / f"dt={dt.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def write_table(self, entity: str, dt: date, day: int, table: pa.Table) -> None:
        folder = self._folder(entity, dt)
        table = table.cast(self._schemas[entity])
        if self.use_parquet(entity, day):
            pq.write_table(table, folder / f"{entity}.parquet", compression="snappy")
            self.parquet_files[entity] += 1
        else:
            buf = io.BytesIO()
            buf.write(self._headers[entity])
            if table.num_rows:
                pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style="none"))
            (folder / f"{entity}.csv").write_bytes(buf.getvalue())
        self.files[entity] += 1
        self.rows[entity] += table.num_rows

    def write_rows(self, entity: str, dt: date, day: int, rows: list[list[str | None]]) -> None:
        """Python-row path (partners): proper RFC-4180 minimal quoting for names with commas/quotes."""
        if self.use_parquet(entity, day):
            cols = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS[entity]]
            table = pa.table(
                {c: pa.array(list(v), pa.string()) for c, v in zip(COLUMNS[entity], cols, strict=True)}
            )
            self.write_table(entity, dt, day, table)
            return
        folder = self._folder(entity, dt)
        sio = io.StringIO(newline="")
        w = csv.writer(sio, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(COLUMNS[entity])
        w.writerows(["" if v is None else v for v in r] for r in rows)
        (folder / f"{entity}.csv").write_bytes(sio.getvalue().encode("utf-8"))
        self.files[entity] += 1
        self.rows[entity] += len(rows)


# --------------------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------------------


class _BadRows:
    def __init__(self, end: date):
        self.end = end
        self.counts: dict[str, dict[str, int]] = {
            e: {k: 0 for k in kinds} for e, kinds in BAD_KINDS_BY_ENTITY.items()
        }

    def make(
        self,
        entity: str,
        rng: np.random.Generator,
        rate: float,
        table: pa.Table,
        template_mask: np.ndarray,
        ts_col: str,
        id_col: str,
        next_id,
    ) -> pa.Table | None:
        """Return extra bad rows (each with exactly one defect) built from templates of ``table``."""
        candidates = np.flatnonzero(template_mask)
        if rate <= 0 or len(candidates) == 0:
            return None
        n_bad = int(rng.binomial(table.num_rows, rate * BAD_RATE_FACTOR[entity]))
        if n_bad == 0:
            return None
        kinds = BAD_KINDS_BY_ENTITY[entity]
        picks = rng.integers(0, len(kinds), n_bad)
        tmpl = rng.choice(candidates, n_bad)
        rows = table.take(pa.array(tmpl)).to_pylist()
        out = []
        for row, kind_i in zip(rows, picks, strict=True):
            kind = kinds[kind_i]
            if kind != "duplicate_key":
                row[id_col] = next_id()
            if kind == "unknown_partner":
                row["partner_id"] = f"PX{int(rng.integers(90000, 100000)):05d}"
            elif kind == "negative_amount":
                row["amount"] = "-" + row["amount"] if row["amount"] != "0.00" else "-1.00"
            elif kind == "unparseable_timestamp":
                ts = row[ts_col]
                variant = int(rng.integers(0, 3))
                row[ts_col] = (
                    f"{ts[:4]}-13-45T99:00:00"
                    if variant == 0
                    else "not-a-date"
                    if variant == 1
                    else f"{ts[8:10]}/{ts[5:7]}/{ts[:4]} 25:61"
                )
            elif kind == "bad_currency":
                row["currency"] = ("EURO", "usd1", "US$", "Dollar")[int(rng.integers(0, 4))]
            elif kind == "timestamp_out_of_order":
                # Paid a year before it was requested: a source clock or a mixed-up column.
                ts = row[ts_col]
                md = ts[5:10] if ts[5:10] != "02-29" else "02-28"
                row.update(status="paid", blocked_reason=None, paid_at=f"{int(ts[:4]) - 1}-{md}{ts[10:]}")
            elif kind == "invalid_value":
                # A survey share of wallet above 100 %.
                row["share_of_wallet"] = f"{int(rng.integers(101, 200))}.0"
            elif kind == "future_date":
                ts = row[ts_col]
                year = self.end.year + int(rng.integers(3, 11))
                md = ts[5:10] if ts[5:10] != "02-29" else "02-28"
                row[ts_col] = f"{year}-{md}{ts[10:]}"
            self.counts[entity][kind] += 1
            out.append(row)
        return pa.Table.from_pylist(out, schema=table.schema)


# --------------------------------------------------------------------------------------------------
# Main generation
# --------------------------------------------------------------------------------------------------


def _snapshot_days(start: date, n_days: int) -> list[int]:
    days = {0, n_days - 1}
    d = date(start.year, start.month, 1)
    end = start + timedelta(days=n_days - 1)
    while d <= end:
        if d >= start:
            days.add((d - start).days)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return sorted(days)


def _partner_snapshot_rows(u: Universe, t: int, start_s: int) -> list[list[str | None]]:
    idx = np.flatnonzero(u.signup_day <= t)
    terminated = u.term_day[idx] <= t
    suspended = ~terminated & (u.susp_start[idx] <= t) & (t < u.susp_end[idx])
    # latest state change on/before t
    upd = u.signup_ts[idx].copy()
    upd = np.where(u.susp_start[idx] <= t, np.maximum(upd, u.susp_start_ts[idx]), upd)
    upd = np.where(u.susp_end[idx] <= t, np.maximum(upd, u.susp_end_ts[idx]), upd)
    upd = np.where(terminated, np.maximum(upd, u.term_ts[idx]), upd)
    upd_s = _fmt_ts(upd).to_pylist()
    term_s = _fmt_ts(np.where(terminated, u.term_ts[idx], 0)).to_pylist()
    signup_s = _fmt_date(start_s + u.signup_day[idx] * 86400).to_pylist()
    rows = []
    for j, i in enumerate(idx.tolist()):
        is_term = bool(terminated[j])
        status = "terminated" if is_term else "suspended" if suspended[j] else "active"
        rows.append(
            [
                u.ids[i],
                u.names[i],
                u.emails[i],
                signup_s[j],
                u.region[i],
                u.country[i],
                u.ptype[i],
                u.ecosystem[i],
                u.parent[i],
                u.manager[i],
                status,
                term_s[j] if is_term else None,
                u.term_reason[i] if is_term else None,
                upd_s[j],
            ]
        )
    return rows


def _season(d: date) -> float:
    wd = (1.1, 1.1, 1.1, 1.05, 1.0, 0.65, 0.55)[d.weekday()]
    month = (0.9, 0.95, 1.05, 1.0, 1.0, 0.95, 0.9, 0.85, 1.0, 1.05, 1.15, 1.2)[d.month - 1]
    return wd * month


@dataclass(frozen=True)
class _TrafficParams:
    tracked: np.ndarray  # the partner's links are tracked (link-based types always, others sometimes)
    click_to_lead: np.ndarray  # leads per click, 1-5 %, higher for better partners


def _traffic_params(u: Universe, seed: int) -> _TrafficParams:
    """Which partners have tracked links, and each one's click-to-lead rate."""
    rng = np.random.default_rng([seed, _TRAFFIC_PARAMS_DAY, ENTITY_CODE["traffic_daily"]])
    link_based = np.isin(np.array(u.ptype), ("affiliate", "influencer", "agency"))
    tracked = link_based | (rng.random(u.n) < 0.4)
    click_to_lead = np.clip(0.01 + 0.03 * u.q + rng.normal(0, 0.005, u.n), 0.01, 0.05)
    return _TrafficParams(tracked, click_to_lead)


@dataclass(frozen=True)
class _DeclineParams:
    decline_days: np.ndarray  # length of the slide before an activity segment ends (churn); short = a sudden stop
    dip_start: np.ndarray  # day index of a temporary decline the partner recovers from, or _NEVER
    dip_end: np.ndarray
    lump: np.ndarray  # 1, or 6-15 for a partner that sells rarely in big tickets (same revenue, long gaps)


def _decline_params(u: Universe, n_days: int, seed: int) -> _DeclineParams:
    """How long each partner slides before it stops selling, and a dip some healthy partners recover from."""
    rng = np.random.default_rng([seed, _DECLINE_PARAMS_DAY, ENTITY_CODE["transactions"]])
    n = u.n
    # Most partners fade over 2-5 months before their last sale; a fifth stop within three weeks, with no warning.
    decline_days = np.where(rng.random(n) < 0.2, rng.integers(10, 22, n), rng.integers(60, 151, n))
    # About a third of the partners have one dip of 2-4 months inside their first activity segment, far enough from
    # its end that the partner visibly recovers: the at-risk list has false alarms to get wrong.
    first_start, first_end = u.seg_start[:, 0], u.seg_end[:, 0]
    length = rng.integers(60, 121, n)
    room = first_end - first_start - length - 240
    start = first_start + 60 + (rng.random(n) * np.maximum(room, 0)).astype(np.int64)
    has_dip = (rng.random(n) < 0.35) & (first_start < _NEVER) & (room > 0) & (start < n_days)
    # Half of the smaller 60 % sell a few big deals instead of many small ones: weeks without a sale are normal for
    # them, so "days since the last sale" alone is a poor churn signal (their own rhythm is the yardstick).
    lumpy = (rng.random(n) < 0.5) & (u.q < 0.6)
    lump = np.where(lumpy, rng.integers(6, 16, n), 1)
    return _DeclineParams(
        decline_days=decline_days,
        dip_start=np.where(has_dip, start, _NEVER),
        dip_end=np.where(has_dip, start + length, _NEVER),
        lump=lump,
    )


def _traffic_day(
    u: Universe,
    tp: _TrafficParams,
    day: date,
    d: int,
    seed: int,
    selling_allowed: np.ndarray,
    in_segment: np.ndarray,
    bad_rate: float,
    bad: _BadRows,
) -> pa.Table:
    """One day of traffic rows (partners with clicks), plus bad rows with negative clicks."""
    rng = _day_rng(seed, d, ENTITY_CODE["traffic_daily"])
    # Expected leads / click-to-lead rate; a partner outside its active periods still gets some stray clicks.
    lam = np.where(
        selling_allowed & tp.tracked,
        u.lead_rate * _season(day) / tp.click_to_lead * np.where(in_segment, 1.0, 0.15),
        0.0,
    )
    clicks = rng.poisson(lam)
    idx = np.flatnonzero(clicks)
    c = clicks[idx].astype(np.int64)
    visitors = np.minimum(c, np.maximum(1, np.round(c * rng.uniform(0.6, 0.95, len(idx))))).astype(np.int64)
    clicks_s = [str(v) for v in c.tolist()]
    visitors_s = [str(v) for v in visitors.tolist()]
    ids = [u.ids[i] for i in idx.tolist()]
    brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["traffic_daily"])
    n_bad = int(brng.binomial(len(idx), bad_rate * BAD_RATE_FACTOR["traffic_daily"])) if len(idx) else 0
    # A copy of a good row with its clicks negated: the copy is quarantined, the original is staged.
    for j in brng.choice(len(idx), n_bad).tolist() if n_bad else []:
        ids.append(ids[j])
        clicks_s.append(f"-{max(1, int(c[j]))}")
        visitors_s.append(visitors_s[j])
        bad.counts["traffic_daily"]["negative_amount"] += 1
    return pa.table(
        {
            "partner_id": pa.array(ids, pa.string()),
            "traffic_date": pa.array([day.isoformat()] * len(ids), pa.string()),
            "clicks": pa.array(clicks_s, pa.string()),
            "unique_visitors": pa.array(visitors_s, pa.string()),
        }
    )


def _partner_targets(
    u: Universe,
    day: date,
    d: int,
    seed: int,
    monthly: np.ndarray,
    usd_per_reporting: float,
    bad_rate: float,
    bad: _BadRows,
) -> pa.Table:
    """The quarter's monthly targets of the bigger partners: last quarter's level with an uplift (some missed)."""
    rng = _day_rng(seed, d, ENTITY_CODE["partner_targets"])
    chosen = np.flatnonzero((u.signup_day <= d) & (u.term_day > d) & (u.q >= 0.6))
    uplift = rng.uniform(0.9, 1.35, (len(chosen), 3))
    months = [date(day.year, day.month + k, 1).isoformat() for k in range(3)]
    rows: list[list[str]] = []
    for j, i in enumerate(chosen.tolist()):
        levels = (monthly[0, i] / usd_per_reporting, monthly[1, i], monthly[2, i])
        for month in months:
            for m, metric in enumerate(TARGET_METRICS):
                if levels[m] <= 0:  # nothing to build on: no target for that metric
                    continue
                value = levels[m] * uplift[j, m]
                text = f"{value:.2f}" if metric == "net_revenue" else str(max(1, round(value)))
                rows.append([u.ids[i], month, metric, text])
    brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["partner_targets"])
    n_bad = int(brng.binomial(len(rows), bad_rate * BAD_RATE_FACTOR["partner_targets"])) if rows else 0
    # A copy of a good row with a target of 0 or below: the copy is quarantined, the original is staged.
    for j in brng.choice(len(rows), n_bad).tolist() if n_bad else []:
        rows.append([*rows[j][:3], ("0", "-" + rows[j][3])[int(brng.integers(0, 2))]])
        bad.counts["partner_targets"]["invalid_value"] += 1
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS["partner_targets"]]
    return pa.table(
        {c: pa.array(list(v), pa.string()) for c, v in zip(COLUMNS["partner_targets"], columns, strict=True)}
    )


def generate(
    landing_dir: Path,
    preset: str = "small",
    *,
    partners: int | None = None,
    days: int | None = None,
    start: date | None = None,
    seed: int = 42,
    bad_rate: float | None = None,
    parquet_share: float = 0.0,
    reporting_currency: str = "USD",
    force: bool = False,
) -> dict:
    """Generate a deterministic partner programme into ``landing_dir``; returns the manifest dict."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    p = PRESETS[preset]
    n = p.partners if partners is None else int(partners)
    n_days = p.days if days is None else int(days)
    start = p.start if start is None else start
    bad_rate = p.bad_rate if bad_rate is None else float(bad_rate)
    if n < 1 or n_days < 1:
        raise ValueError("partners and days must be >= 1")
    if not 0.0 <= bad_rate < 0.5:
        raise ValueError("bad_rate must be in [0, 0.5)")
    if not 0.0 <= parquet_share <= 1.0:
        raise ValueError("parquet_share must be in [0, 1]")
    if reporting_currency not in CUR_IDX:
        raise ValueError(f"reporting_currency must be one of {CURRENCIES}")

    landing = Path(landing_dir)
    _prepare_landing(landing, force)
    end = start + timedelta(days=n_days - 1)
    start_s = _epoch_seconds(start)

    u = build_universe(n, n_days, start, seed, p.sales_scale)
    w = _Writer(landing, seed, parquet_share)
    bad = _BadRows(end)
    snapshot_days = set(_snapshot_days(start, n_days))

    # cross-day state
    counters = {"transactions": 0, "leads": 0, "payouts": 0, "nps_responses": 0, "interactions": 0}

    def next_id_fn(entity: str):
        def f() -> str:
            counters[entity] += 1
            return f"{_ID_PREFIX[entity]}{counters[entity]:0{_ID_WIDTH[entity]}d}"

        return f

    pending_refunds: dict[int, list[dict[str, np.ndarray]]] = {}
    balance = np.zeros(n, np.float64)  # unpaid commission, in cents of the partner's main currency
    fx_state = np.zeros(len(CURRENCIES))
    nps_waves: dict[int, tuple[np.ndarray, ...]] = {}
    rep = CUR_IDX[reporting_currency]
    arange_n = np.arange(n)
    traffic = _traffic_params(u, seed)
    decline = _decline_params(u, n_days, seed)
    # Net revenue (USD), leads and sales of each partner since the last quarter start: the base of the next targets.
    quarter_totals = np.zeros((3, n))
    quarter_days = 0

    for d in range(n_days):
        day = start + timedelta(days=d)
        day_s = start_s + d * 86400

        # ---- fx: mean-reverting random walk on log rates (USD per unit) ----
        rng = _day_rng(seed, d, ENTITY_CODE["fx_rates"])
        fx_state = 0.995 * fx_state + rng.normal(0, 0.004, len(CURRENCIES))
        fx_state[0] = 0.0
        usd_per = USD_PER_UNIT * np.exp(fx_state)
        to_rep = usd_per / usd_per[rep]
        others = [c for c in range(len(CURRENCIES)) if c != rep]
        w.write_table(
            "fx_rates",
            day,
            d,
            pa.table(
                {
                    "rate_date": [day.isoformat()] * len(others),
                    "currency": [CURRENCIES[c] for c in others],
                    "rate_to_reporting": [f"{to_rep[c]:.6f}" for c in others],
                }
            ),
        )

        # ---- partner targets: agreed on the first day of each quarter, from the quarter before ----
        if day.day == 1 and day.month in (1, 4, 7, 10):
            if quarter_days >= 28:
                table = _partner_targets(
                    u, day, d, seed, quarter_totals * 30.4 / quarter_days, usd_per[rep], bad_rate, bad
                )
                w.write_table("partner_targets", day, d, table)
            quarter_totals[:] = 0.0
            quarter_days = 0
        quarter_days += 1

        # ---- partner state today ----
        signed = u.signup_day <= d
        alive = signed & (u.term_day > d)
        suspended = (u.susp_start <= d) & (d < u.susp_end)
        in_seg = (u.seg_start <= d) & (d < u.seg_end)
        seg_k = np.argmax(in_seg, axis=1)
        active = in_seg.any(axis=1) & alive & ~suspended
        ss = u.seg_start[arange_n, seg_k]
        se = u.seg_end[arange_n, seg_k]
        ramp = np.clip(0.3 + 0.7 * (d - ss) / 30.0, 0.3, 1.0)
        # Decline precedes churn: sales slide linearly to a quarter over the partner's decline_days before the
        # segment ends. A dip halves them and more (trapezoid, 30-day edges), then the partner recovers.
        fade = np.clip(0.25 + 0.75 * (se - d) / decline.decline_days, 0.25, 1.0)
        in_dip = (decline.dip_start <= d) & (d < decline.dip_end)
        dip_depth = np.clip(np.minimum(d - decline.dip_start, decline.dip_end - d) / 30.0, 0.0, 1.0)
        dip = np.where(in_dip, 1.0 - 0.6 * dip_depth, 1.0)
        # Declining: sliding towards the segment end (or a termination), or inside a dip. Refunds, payouts, NPS
        # answers and contact follow it.
        declining = alive & (
            (in_seg.any(axis=1) & (se - d < decline.decline_days)) | (u.term_day - d < decline.decline_days) | in_dip
        )
        intensity = np.where(active, u.lam / decline.lump * ramp * fade * dip * _season(day), 0.0)

        # ---- transactions ----
        rng = _day_rng(seed, d, ENTITY_CODE["transactions"])
        counts = rng.poisson(intensity)
        nz = np.flatnonzero(counts)
        sp = np.repeat(nz, counts[nz])
        ns = len(sp)
        s_cur = np.where(rng.random(ns) < u.sec_share[sp], u.sec_cur[sp], u.main_cur[sp])
        s_prod = np.searchsorted(
            np.cumsum(PRODUCT_WEIGHTS), rng.random(ns) * PRODUCT_WEIGHTS.sum(), side="right"
        )
        s_prod = np.minimum(s_prod, len(PRODUCTS) - 1)
        amount_usd = u.ticket_usd[sp] * decline.lump[sp] * PRODUCT_PRICE[s_prod] * rng.lognormal(0, 0.35, ns)
        s_amt = np.maximum(100, np.round(amount_usd / usd_per[s_cur] * 100)).astype(np.int64)
        s_comm = np.round(s_amt * u.comm_rate[sp]).astype(np.int64)
        s_cust = u.cust_base[sp] + (rng.random(ns) * u.cust_pool[sp]).astype(np.int64)
        s_sec = _sample_seconds(rng, ns)
        s_off = np.where(rng.random(ns) < 0.2, u.home_offset[sp], 0)

        due = pending_refunds.pop(d, [])
        if due:
            r = {k: np.concatenate([x[k] for x in due]) for k in due[0]}
        else:
            r = {k: np.empty(0, np.int64) for k in ("p", "sale", "cur", "amt", "comm", "prod", "cust")}
        nr = len(r["p"])
        r_sec = _sample_seconds(rng, nr)
        r_off = np.where(rng.random(nr) < 0.2, u.home_offset[r["p"]], 0)

        allp = np.concatenate([sp, r["p"]])
        all_sec = np.concatenate([s_sec, r_sec])
        order = np.argsort(all_sec, kind="stable")
        nt = ns + nr
        ids_num = np.empty(nt, np.int64)
        ids_num[order] = counters["transactions"] + 1 + np.arange(nt)
        counters["transactions"] += nt
        is_sale = np.zeros(nt, bool)
        is_sale[:ns] = True
        all_cur = np.concatenate([s_cur, r["cur"]])
        all_amt = np.concatenate([s_amt, r["amt"]])
        all_comm = np.concatenate([s_comm, r["comm"]])
        refund_of = pa.array([None] * ns, pa.string()) if ns else pa.array([], pa.string())
        if nr:
            refund_of = pa.concat_arrays([refund_of, _fmt_ids("T", r["sale"], 9)])
        table = pa.table(
            {
                "transaction_id": _fmt_ids("T", ids_num, 9),
                "partner_id": _take_str(u.ids, allp),
                "customer_id": _fmt_ids("C", np.concatenate([s_cust, r["cust"]]), 8),
                "occurred_at": _fmt_ts(day_s + all_sec, np.concatenate([s_off, r_off])),
                "kind": pa.array(np.where(is_sale, "sale", "refund")),
                "amount": _fmt_cents(all_amt),
                "currency": _take_str(_CURRENCY_LIST, all_cur),
                "commission_amount": _fmt_cents(all_comm),
                "refund_of": refund_of,
                "product": _take_str(_PRODUCT_LIST, np.concatenate([s_prod, r["prod"]])),
            }
        ).take(pa.array(order))
        is_sale_sorted = is_sale[order]

        # commission balance (main currency) for payouts
        if nt:
            sign = np.where(is_sale, 1.0, -1.0)
            np.add.at(quarter_totals[0], allp, sign * all_amt * usd_per[all_cur] / 100.0)
            np.add.at(quarter_totals[2], sp, 1.0)
            np.add.at(balance, allp, sign * all_comm * usd_per[all_cur] / usd_per[u.main_cur[allp]])

        # schedule refunds of today's sales (1-8 weeks later)
        if ns:
            # Declining partners' customers ask for their money back twice as often.
            refunded = rng.random(ns) < _REFUND_RATE * np.where(declining[sp], 2.0, 1.0)
            delay = rng.integers(7, 57, ns)
            partial = rng.random(ns) < 0.15
            frac = rng.uniform(0.2, 0.8, ns)
            target = d + delay
            keep = refunded & (target < n_days) & (target < u.term_day[sp])
            sale_ids = ids_num[:ns]
            for t in np.unique(target[keep]):
                m = keep & (target == t)
                amt = np.where(partial[m], np.maximum(1, np.round(s_amt[m] * frac[m])), s_amt[m]).astype(
                    np.int64
                )
                comm = np.where(partial[m], np.round(s_comm[m] * amt / s_amt[m]), s_comm[m]).astype(np.int64)
                pending_refunds.setdefault(int(t), []).append(
                    {
                        "p": sp[m],
                        "sale": sale_ids[m],
                        "cur": s_cur[m],
                        "amt": amt,
                        "comm": comm,
                        "prod": s_prod[m],
                        "cust": s_cust[m],
                    }
                )

        brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["transactions"])
        extra = bad.make(
            "transactions",
            brng,
            bad_rate,
            table,
            is_sale_sorted,
            "occurred_at",
            "transaction_id",
            next_id_fn("transactions"),
        )
        if extra is not None:
            table = pa.concat_tables([table, extra])
        w.write_table("transactions", day, d, table)

        # ---- leads ----
        rng = _day_rng(seed, d, ENTITY_CODE["leads"])
        lam_l = np.where(
            alive & ~suspended & (in_seg.any(axis=1) | (rng.random(n) < 0.02)),
            u.lead_rate * _season(day),
            0.0,
        )
        cnt = rng.poisson(lam_l)
        nz = np.flatnonzero(cnt)
        lp = np.repeat(nz, cnt[nz])
        nl = len(lp)
        l_sec = np.sort(_sample_seconds(rng, nl))
        l_ts = day_s + l_sec
        outcome = rng.random(nl)
        conv_ts = l_ts + rng.integers(1, 46, nl) * 86400 + rng.integers(-3 * 3600, 3 * 3600, nl)
        end_s = start_s + n_days * 86400
        # Traffic quality differs by partner: better partners' leads convert more often (15-45 %, 30 % on average),
        # so the shrunk conversion rates of fct_partner_traffic_quality_monthly have a real spread to find.
        convert_p = 0.15 + 0.30 * u.q[lp]
        converted = (outcome < convert_p) & (conv_ts < end_s)
        lost = (outcome >= convert_p) & (outcome < convert_p + 0.45) & (l_ts + 14 * 86400 < end_s)
        status = np.where(converted, "converted", np.where(lost, "lost", "open"))
        conv_str = _fmt_ts(conv_ts)
        conv_col = (
            pc.if_else(pa.array(converted), conv_str, pa.scalar(None, pa.string()))
            if nl
            else pa.array([], pa.string())
        )
        ids_l = counters["leads"] + 1 + np.arange(nl)
        counters["leads"] += nl
        table = pa.table(
            {
                "lead_id": _fmt_ids("L", ids_l, 9),
                "partner_id": _take_str(u.ids, lp),
                "created_at": _fmt_ts(l_ts),
                "converted_at": conv_col,
                "status": pa.array(status.astype(str) if nl else np.array([], "U1"), pa.string()),
            }
        )
        brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["leads"])
        extra = bad.make(
            "leads", brng, bad_rate, table, np.ones(nl, bool), "created_at", "lead_id", next_id_fn("leads")
        )
        if extra is not None:
            table = pa.concat_tables([table, extra])
        w.write_table("leads", day, d, table)
        np.add.at(quarter_totals[1], lp, 1.0)

        # ---- traffic: clicks follow the partner's lead flow at its own click-to-lead rate (1-5 %) ----
        clicks = _traffic_day(u, traffic, day, d, seed, alive & ~suspended, in_seg.any(axis=1), bad_rate, bad)
        w.write_table("traffic_daily", day, d, clicks)

        # ---- payouts: monthly per partner on its payout day if the balance is worth paying ----
        rng = _day_rng(seed, d, ENTITY_CODE["payouts"])
        min_cents = 5000 / usd_per[u.main_cur]
        # The bigger partners (value percentile >= 0.6) also request mid-month: paid twice a month.
        second_dom = (u.payout_dom + 13) % 28 + 1
        payout_day = (u.payout_dom == day.day) | ((u.q >= 0.6) & (second_dom == day.day))
        req = alive & payout_day & (balance >= min_cents)
        pp = np.flatnonzero(req)
        npay = len(pp)
        p_amt = np.round(balance[pp]).astype(np.int64)
        balance[pp] = 0.0
        p_ts = day_s + np.sort(rng.integers(8 * 3600, 18 * 3600, npay))
        u_out = rng.random(npay)
        # Hours to payment: most healthy partners are paid the same day; slow payouts precede churn, so a
        # partner whose selling ends (or who is terminated) within ~4 months waits days (docs/data-contract.md).
        # A partner in a dip it recovers from waits too (declining), so slow payouts alone do not mean churn.
        churns_soon = ((se[pp] - d < 120) & active[pp]) | (u.term_day[pp] - d < 120) | declining[pp]
        median_h = np.where(churns_soon, 96.0, 12.0)
        delay_h = np.minimum(30 * 24, median_h * rng.lognormal(0.0, 0.9, npay))
        p_paid_ts = p_ts + np.round(delay_h * 3600).astype(np.int64)
        susp_now = suspended[pp]
        blocked = susp_now | (u_out < 0.03)
        failed = ~blocked & (u_out >= 0.03) & (u_out < 0.07)
        paid = ~blocked & ~failed & (p_paid_ts < end_s)
        p_status = np.where(
            blocked, "blocked", np.where(failed, "failed", np.where(paid, "paid", "requested"))
        )
        reason_idx = rng.integers(0, len(BLOCKED_REASONS), npay)
        reasons = [
            ("partner_suspended" if susp_now[j] else BLOCKED_REASONS[reason_idx[j]]) if blocked[j] else None
            for j in range(npay)
        ]
        # failed / blocked money goes back to the balance and is requested again next month
        back = failed | blocked
        np.add.at(balance, pp[back], p_amt[back])
        ids_p = counters["payouts"] + 1 + np.arange(npay)
        counters["payouts"] += npay
        table = pa.table(
            {
                "payout_id": _fmt_ids("PO", ids_p, 8),
                "partner_id": _take_str(u.ids, pp),
                "requested_at": _fmt_ts(p_ts),
                "paid_at": pc.if_else(pa.array(paid), _fmt_ts(p_paid_ts), pa.scalar(None, pa.string()))
                if npay
                else pa.array([], pa.string()),
                "amount": _fmt_cents(p_amt),
                "currency": _take_str(_CURRENCY_LIST, u.main_cur[pp]),
                "status": pa.array(p_status.astype(str) if npay else np.array([], "U1"), pa.string()),
                "blocked_reason": pa.array(reasons, pa.string()),
            }
        )
        brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["payouts"])
        extra = bad.make(
            "payouts",
            brng,
            bad_rate,
            table,
            np.ones(npay, bool),
            "requested_at",
            "payout_id",
            next_id_fn("payouts"),
        )
        if extra is not None:
            table = pa.concat_tables([table, extra])
        w.write_table("payouts", day, d, table)

        # ---- NPS: three survey waves a year (10 Feb, 10 Jun, 10 Oct), answers over ~3 weeks ----
        wave_start = None
        for m in (2, 6, 10):
            ws = date(day.year, m, 10)
            if 0 <= (day - ws).days < 21:
                wave_start = ws
        responders = np.empty(0, np.int64)
        scores = np.empty(0, np.int64)
        shares = np.empty(0, np.float64)
        if wave_start is not None:
            wkey = (wave_start - start).days
            if wkey not in nps_waves:
                wrng = np.random.default_rng([seed, wkey + 100_000, ENTITY_CODE["nps_responses"]])
                respond = alive & (wrng.random(n) < 0.25 + 0.30 * u.q)
                off = np.minimum(20, wrng.geometric(1 / 4, n) - 1)
                # Promoters sell more and churn less: selling partners that keep selling for another ~3
                # months answer by value (big ones mostly 9-10); the others, and those about to stop, are
                # mostly detractors.
                healthy = (
                    in_seg.any(axis=1) & ~suspended & (se - d >= 90) & (u.term_day - d >= 90) & ~declining
                )
                pr = np.where(
                    healthy[:, None],
                    np.where(
                        (u.q >= 0.5)[:, None],
                        [[1, 1, 1, 1, 2, 3, 4, 8, 16, 27, 36]],
                        [[2, 2, 2, 3, 4, 6, 9, 16, 20, 18, 18]],
                    ),
                    [[6, 5, 7, 9, 10, 12, 12, 13, 12, 8, 6]],
                ).astype(float)
                cdf = np.cumsum(pr, axis=1) / pr.sum(axis=1, keepdims=True)
                sc = (wrng.random(n)[:, None] > cdf).sum(axis=1)
                # About 60 % state a share of wallet; bigger partners give us a bigger share.
                states_share = wrng.random(n) < 0.6
                share = np.clip(np.round(15 + 65 * u.q + wrng.normal(0, 12, n), 1), 1.0, 100.0)
                nps_waves = {wkey: (respond, off, sc, states_share, share)}
            respond, off, sc, states_share, share = nps_waves[wkey]
            today = respond & (off == (day - wave_start).days) & (u.signup_day <= d)
            responders = np.flatnonzero(today)
            scores = sc[responders]
            shares = np.where(states_share[responders], share[responders], np.nan)
        rng = _day_rng(seed, d, ENTITY_CODE["nps_responses"])
        nn = len(responders)
        r_ts = day_s + _sample_seconds(rng, nn)
        o = np.argsort(r_ts, kind="stable")
        ids_r = counters["nps_responses"] + 1 + np.arange(nn)
        counters["nps_responses"] += nn
        table = pa.table(
            {
                "response_id": _fmt_ids("R", ids_r, 8),
                "partner_id": _take_str(u.ids, responders[o]),
                "responded_at": _fmt_ts(r_ts[o]),
                "score": pc.cast(pa.array(scores[o].astype(np.int64)), pa.string()),
                "share_of_wallet": pa.array(
                    [None if np.isnan(v) else f"{v:.1f}" for v in shares[o]], pa.string()
                ),
            }
        )
        brng = _day_rng(seed, d, _BAD_STREAM + ENTITY_CODE["nps_responses"])
        extra = bad.make(
            "nps_responses", brng, bad_rate, table, np.ones(nn, bool), "responded_at", "response_id",
            next_id_fn("nps_responses"),
        )
        if extra is not None:
            table = pa.concat_tables([table, extra])
        w.write_table("nps_responses", day, d, table)

        # ---- interactions: more for bigger / active partners ----
        rng = _day_rng(seed, d, ENTITY_CODE["interactions"])
        wdf = 1.0 if day.weekday() < 5 else 0.15
        # Declining partners take fewer calls and meetings.
        engaged = np.where(active, 1.0, 0.4) * np.where(declining, 0.4, 1.0)
        lam_i = np.where(alive, u.interaction_rate * wdf * engaged, 0.0)
        cnt = rng.poisson(lam_i)
        nz = np.flatnonzero(cnt)
        ip = np.repeat(nz, cnt[nz])
        ni = len(ip)
        i_ts = day_s + _sample_seconds(rng, ni)
        o = np.argsort(i_ts, kind="stable")
        kinds = np.searchsorted(
            np.cumsum(INTERACTION_WEIGHTS), rng.random(ni) * INTERACTION_WEIGHTS.sum(), side="right"
        )
        kinds = np.minimum(kinds, len(INTERACTION_KINDS) - 1)
        # Joint initiatives go mostly to the partners that matter most: up to 15 % of a top partner's calls.
        promoted = (kinds == INTERACTION_KINDS.index("call")) & (rng.random(ni) < 0.15 * u.q[ip])
        kinds = np.where(promoted, INTERACTION_KINDS.index("joint_initiative"), kinds)
        ids_i = counters["interactions"] + 1 + np.arange(ni)
        counters["interactions"] += ni
        w.write_table(
            "interactions",
            day,
            d,
            pa.table(
                {
                    "interaction_id": _fmt_ids("I", ids_i, 9),
                    "partner_id": _take_str(u.ids, ip[o]),
                    "occurred_at": _fmt_ts(i_ts[o]),
                    "kind": _take_str(_INTERACTION_LIST, kinds[o]),
                }
            ),
        )

        # ---- partners snapshot ----
        if d in snapshot_days:
            w.write_rows("partners", day, d, _partner_snapshot_rows(u, d, start_s))

    _PA_CACHE.clear()
    bad_total = {e: sum(k.values()) for e, k in bad.counts.items()}
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "preset": preset,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": n_days,
        "partners": n,
        "reporting_currency": reporting_currency,
        "bad_rate": bad_rate,
        "parquet_share": parquet_share,
        "entities": list(ENTITIES),
        "snapshot_dates": [(start + timedelta(days=s)).isoformat() for s in sorted(snapshot_days)],
        "rows": dict(w.rows),
        "good_rows": {e: w.rows[e] - bad_total.get(e, 0) for e in ENTITIES},
        "bad_rows": {e: dict(bad.counts.get(e, {})) for e in ENTITIES},
        "bad_rows_total": {e: bad_total.get(e, 0) for e in ENTITIES},
        "files": dict(w.files),
        "parquet_files": dict(w.parquet_files),
    }
    (landing / "_manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


_CURRENCY_LIST = list(CURRENCIES)
_PRODUCT_LIST = list(PRODUCTS)
_INTERACTION_LIST = list(INTERACTION_KINDS)
_ID_PREFIX = {"transactions": "T", "leads": "L", "payouts": "PO", "nps_responses": "R", "interactions": "I"}
_ID_WIDTH = {"transactions": 9, "leads": 9, "payouts": 8, "nps_responses": 8, "interactions": 9}


def _prepare_landing(landing: Path, force: bool) -> None:
    if landing.exists() and not landing.is_dir():
        raise NotADirectoryError(f"{landing} exists and is not a directory")
    if landing.exists() and any(landing.iterdir()):
        if not force:
            raise LandingNotEmptyError(
                f"landing folder {landing} is not empty; refusing to overwrite (use --force / force=True "
                "to wipe the entity folders first)"
            )
        for e in ENTITIES:
            shutil.rmtree(landing / e, ignore_errors=True)
        (landing / "_manifest.json").unlink(missing_ok=True)
    landing.mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="pra-generate",
        description="Generate deterministic partner-programme "
        "demo data into a landing folder (see docs/data-contract.md).",
    )
    ap.add_argument("--preset", choices=sorted(PRESETS), default="small")
    ap.add_argument(
        "--out", type=Path, default=Path("data/landing"), help="landing folder (default data/landing)"
    )
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--partners", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    ap.add_argument(
        "--bad-rate", type=float, help="share of bad transaction rows (default 0.02 small, 0.005 else)"
    )
    ap.add_argument(
        "--parquet-share", type=float, default=0.0, help="share of day folders written as Parquet"
    )
    ap.add_argument("--reporting-currency", default="USD", choices=CURRENCIES)
    ap.add_argument("--force", action="store_true", help="wipe existing entity folders in --out first")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        m = generate(
            args.out,
            args.preset,
            partners=args.partners,
            days=args.days,
            start=args.start,
            seed=args.seed,
            bad_rate=args.bad_rate,
            parquet_share=args.parquet_share,
            reporting_currency=args.reporting_currency,
            force=args.force,
        )
    except (LandingNotEmptyError, ValueError, NotADirectoryError) as exc:
        print(f"pra-generate: error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t0
    print(
        f"pra-generate: preset={m['preset']} seed={m['seed']} {m['start']}..{m['end']} "
        f"({m['days']} days) partners={m['partners']} -> {args.out} in {elapsed:.1f}s"
    )
    for e in ENTITIES:
        print(
            f"  {e:<14} rows={m['rows'][e]:>10,}  bad={m['bad_rows_total'][e]:>6,}  files={m['files'][e]:>5,}"
            f"  parquet={m['parquet_files'][e]:>5,}"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
