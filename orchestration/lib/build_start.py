"""Where a window run's dbt build starts: the first day of its window that may differ from what was published.

A nightly's window is its last PRA_LOOKBACK_DAYS days, but most of them hold the files the last published run
already judged, converted, tested and gated. dbt then starts at the first day whose staged rows may differ from the
published ones (docs/operations.md, "Where dbt's window starts"), the earliest of:

- a day whose files changed since the publication: its ingestion fingerprint (lib/ingestion.py) differs from the one
  the published build read, or one of the two is missing;
- a day an unpublished build rebuilt (a run that failed in dbt, in a data test or at a gate, or is still running):
  its rows were never gated, whatever its files;
- a day holding rows whose judgment or conversion the days rebuilt can change (`_waiting_sql`): a row quarantined for
  want of an fx rate or a sale those days bring, a valid row of a partner whose only snapshots they take away or of
  a refund whose sale they change, a row dated after the as-of date or one the new as-of date reaches, a converted
  row in a currency whose rates those days change from a date on or before it. (A row quarantined for want of a
  partner whose first snapshot those days bring is dbt's: it judges such rows again wherever they landed, macro
  rows_rejudged_outside_window.);
- the window's last day in any case, so a run always builds something.

It is the window's own first day (no narrowing) when no build was ever published, when the dbt project, its vars or
the contract changed since (their signature), or on an engine other than DuckDB, which holds the judged models.
The bookkeeping lives in the work warehouse, schema `ingestion`, beside the landing fingerprints.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.lib.contract import ENTITIES
from orchestration.lib.gx_runner import MANIFEST_PATH, REPO, STAGED_MONEY_MODEL, DbtModels
from orchestration.lib.ingestion import FINGERPRINT_COLUMNS, FINGERPRINTS_TABLE
from orchestration.lib.rejudge import BASE_MODEL_PREFIX, windowed_base_models
from orchestration.lib.tables import table_exists

# Every dbt build a run started, until a publication covers it; first_day null: a build of all history.
BUILDS_TABLE = "ingestion.dbt_builds"
# The landing fingerprints of the days each of those builds read, taken as it started.
BUILD_FINGERPRINTS_TABLE = "ingestion.dbt_build_fingerprints"
# The landing fingerprints of the days the last publications published, and the signature of their build.
PUBLISHED_FINGERPRINTS_TABLE = "ingestion.published_fingerprints"
PUBLISHED_SIGNATURE_TABLE = "ingestion.published_signature"
# The staged fx rates: the kept days' rates, against which a changed day's rates move a conversion or not.
STAGED_FX_MODEL = "stg_program__fx_rates"
# A judged row that points at another row of its entity by key, and the reasons it gets from that row
# (base_program__transactions.sql: a refund is judged against the sale it reverses).
REFERENCES = {"transactions": ("refund_of", "transaction_id")}


@dataclass(frozen=True)
class BuildStart:
    """The first day a window run's dbt build rebuilds, and why it is not the window's first day (empty if it is)."""

    day: date
    why: str = ""


def build_signature(dbt_vars: Mapping[str, str], manifest_path: Path = MANIFEST_PATH) -> str:
    """What the staged rows of a day depend on besides its files: the project's models (their SQL's checksum and
    config), macros, sources (the landing contract) and vars (dbt_project.yml), and the run's dbt vars (the
    warehouse's path and memory limit are not among them, Settings.dbt_env). A build with another signature may
    stage other rows from the same files."""
    manifest = json.loads(Path(manifest_path).read_text())
    project = manifest["metadata"]["project_name"]
    nodes = sorted(
        (n["unique_id"], n.get("checksum", {}).get("checksum"), n.get("config")) for n in manifest["nodes"].values()
    )
    macros = sorted(
        (m["unique_id"], m["macro_sql"]) for m in manifest["macros"].values() if m["package_name"] == project
    )
    sources = sorted((s["unique_id"], s.get("columns"), s.get("meta")) for s in manifest["sources"].values())
    project_file = (REPO / "dbt_project" / "dbt_project.yml").read_text()
    text = json.dumps([nodes, macros, sources, project_file, dict(dbt_vars)], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ingestion")
    con.execute(
        f"create table if not exists {BUILDS_TABLE} "
        "(build_id bigint, run_id varchar, first_day date, end_day date, signature varchar)"
    )
    for table in (BUILD_FINGERPRINTS_TABLE, PUBLISHED_FINGERPRINTS_TABLE):
        build = "build_id bigint, " if table == BUILD_FINGERPRINTS_TABLE else ""
        con.execute(f"create table if not exists {table} ({build}{FINGERPRINT_COLUMNS})")
    con.execute(f"create table if not exists {PUBLISHED_SIGNATURE_TABLE} (signature varchar)")


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    return table_exists(con, *relation.replace('"', "").split("."))


def build_start(
    con: duckdb.DuckDBPyConnection, start: date, end: date, as_of: date, signature: str, models: DbtModels
) -> BuildStart:
    """The first day of the window [start, end) the run's dbt build must rebuild (module docstring)."""
    tables = (FINGERPRINTS_TABLE, BUILDS_TABLE, PUBLISHED_FINGERPRINTS_TABLE, PUBLISHED_SIGNATURE_TABLE)
    if not all(_exists(con, t) for t in tables):
        return BuildStart(start)
    published = con.execute(f"select signature from {PUBLISHED_SIGNATURE_TABLE}").fetchall()
    if published != [(signature,)]:
        return BuildStart(start)
    changed = _first_changed_day(con, start, end)
    unpublished = _first_unpublished_day(con, start, end)
    day = min(d for d in (changed, unpublished, end - timedelta(days=1)) if d is not None)
    if day == start:
        return BuildStart(start)
    # A day moved earlier widens the days rebuilt, whose partners, rates and sales may reach rows further back.
    while True:
        earlier = _first_waiting_day(con, start, day, end, as_of, models)
        if earlier is None or earlier >= day:
            break
        day = earlier
    why = f"the days [{start}, {day}) hold the files and rows the last publication published"
    return BuildStart(day, why if day > start else "")


# The partners of the snapshots landed in the rebuilt days [$day, $end), as dbt types them, and those a valid
# judged snapshot of a kept day (before $day) lists: newcomers and removed partners are told apart by them.
REBUILT_SNAPSHOT_PARTNERS = (
    "select trim(partner_id) from raw.partners where _partition_date >= $day and _partition_date < $end"
)


def _kept_partners(partners: str) -> str:
    return f"select partner_id from {partners} where _partition_date < $day and rejection_reason is null"


def first_rejudged_day(con: duckdb.DuckDBPyConnection, day: date, end: date, models: DbtModels) -> date | None:
    """The earliest landing day or date (an entity's `no_future` dates: a sale's day, a lead's creation, a traffic
    day) of the rows landed before [day, end) that dbt judges again there for a partner whose first snapshot lands in
    it (macro rows_rejudged_outside_window); None if none. The run's data tests and gates read the periods from it
    on. Read from the raw tables, which every engine loads: a partner counts as new unless a judged snapshot of an
    earlier day lists it (on an engine other than DuckDB, none is here, and every partner of the window's snapshots
    counts: more rows checked, never fewer)."""
    if not table_exists(con, "raw", "partners"):
        return None
    partners = models.relation(f"{BASE_MODEL_PREFIX}partners")
    known = f"except {_kept_partners(partners)}" if _exists(con, partners) else ""
    newcomers = con.execute(
        f"{REBUILT_SNAPSHOT_PARTNERS} and nullif(trim(partner_id), '') is not null {known}",
        {"day": day, "end": end},
    ).fetchall()
    if not newcomers:
        return None
    parts = []
    for entity, spec in ENTITIES.items():
        if not spec.partner_checked or not table_exists(con, "raw", entity):
            continue
        dates = [
            f"coalesce(try_cast(left(trim({c.name}), 10) as date), _partition_date)"
            for c in spec.contract_columns
            if c.rules.get("no_future")
        ]
        parts.append(
            f"select least(_partition_date, {', '.join(dates) or '_partition_date'}) as day from raw.{entity} "
            "where _partition_date < $day and trim(partner_id) in (select unnest($newcomers))"
        )
    if not parts:
        return None
    row = con.execute(
        f"select min(day) from ({' union all '.join(parts)})", {"day": day, "newcomers": [n for (n,) in newcomers]}
    ).fetchone()
    return row[0] if row else None


def _first_changed_day(con: duckdb.DuckDBPyConnection, start: date, end: date) -> date | None:
    row = con.execute(
        f"""
        with landing as (
            select entity, partition_date, fingerprint from {FINGERPRINTS_TABLE}
            where partition_date >= $start and partition_date < $end
        ),
        published as (
            select entity, partition_date, fingerprint from {PUBLISHED_FINGERPRINTS_TABLE}
            where partition_date >= $start and partition_date < $end
        )
        select min(coalesce(landing.partition_date, published.partition_date))
        from landing full outer join published
            on landing.entity = published.entity and landing.partition_date = published.partition_date
        where landing.fingerprint is distinct from published.fingerprint
        """,
        {"start": start, "end": end},
    ).fetchone()
    return row[0] if row else None


def _first_unpublished_day(con: duckdb.DuckDBPyConnection, start: date, end: date) -> date | None:
    """The first day of [start, end) an unpublished build rebuilt (the window's first day after a build of all)."""
    row = con.execute(
        f"select min(greatest(coalesce(first_day, $start), $start)) from {BUILDS_TABLE} "
        "where coalesce(first_day, $start) < $end and coalesce(end_day, $end) > $start",
        {"start": start, "end": end},
    ).fetchone()
    return row[0] if row else None


def _judged_relations(models: DbtModels) -> dict[str, str]:
    """The judged base models incremental on landing partitions, by entity (lib/rejudge.py)."""
    return {entity: models.relation(node["name"]) for entity, node in windowed_base_models(models.nodes).items()}


def _waiting_sql(entity: str, relation: str) -> str | None:
    """Rows of one judged model in the kept days [$start, $day) whose judgment the rebuilt days [$day, $end) or the
    as-of date may change (CTEs removed_partners, rebuilt_currencies and rebuilt_keys of `_first_waiting_day`)."""
    spec = ENTITIES[entity]
    conditions = []
    if spec.partner_checked:
        conditions.append("partner_id in (select partner_id from removed_partners)")
    for c in spec.contract_columns:
        if c.rules.get("converted"):
            conditions.append(
                f"(rejection_reason = 'no_fx_rate' and {c.name} in (select currency from rebuilt_currencies))"
            )
        if c.rules.get("no_future"):
            conditions.append(
                f"(rejection_reason = 'future_date' and rejected_field = '{c.name}' "
                f"and cast({c.name} as date) <= $as_of)"
            )
            conditions.append(f"(rejection_reason is null and cast({c.name} as date) > $as_of)")
    if entity in REFERENCES:
        column, _ = REFERENCES[entity]
        conditions.append(f"{column} in (select key from rebuilt_keys where entity = '{entity}')")
    if not conditions:
        return None
    return f"""
select min(_partition_date) as day from {relation}
where _partition_date >= $start and _partition_date < $day
    and ({" or ".join(conditions)})"""


def _first_waiting_day(
    con: duckdb.DuckDBPyConnection, start: date, day: date, end: date, as_of: date, models: DbtModels
) -> date | None:
    """The first kept day of [start, day) holding a row the rebuilt days [day, end) or the as-of date may judge or
    convert otherwise; None if none does."""
    judged = {e: r for e, r in _judged_relations(models).items() if _exists(con, r)}
    if not judged or not all(table_exists(con, "raw", t) for t in ("partners", "fx_rates")):
        return None
    parts = [sql for e, r in judged.items() if (sql := _waiting_sql(e, r))]
    keys = [
        f"select '{entity}' as entity, trim({key}) as key from raw.{entity} "
        "where _partition_date >= $day and _partition_date < $end "
        f"union all select '{entity}', {key} from {judged[entity]} where _partition_date >= $day"
        for entity, (_, key) in REFERENCES.items()
        if entity in judged
    ]
    parts += [_fx_sql(models)] if _exists(con, models.relation(STAGED_MONEY_MODEL)) else []
    # Partners the rebuilt days take away: staged from their snapshots before, in none of them now, and in no valid
    # snapshot of a kept day. (Those they bring are dbt's: it judges a newcomer's rows again wherever they landed,
    # macro rows_rejudged_outside_window.)
    removed = ["select null::varchar as partner_id where false"]
    if "partners" in judged:
        removed = [
            f"select partner_id from {judged['partners']} where _partition_date >= $day and rejection_reason is null",
            f"except {REBUILT_SNAPSHOT_PARTNERS}",
            f"except {_kept_partners(judged['partners'])}",
        ]
    if not parts:
        return None
    no_keys = "select null::varchar as entity, null::varchar as key where false"
    removed_sql = "\n    ".join(removed)
    query = f"""
with removed_partners as (
    {removed_sql}
),
rebuilt_currencies as (
    select distinct upper(trim(currency)) as currency from raw.fx_rates
    where _partition_date >= $day and _partition_date < $end
),
rebuilt_keys as (
    {" union all ".join(keys) or no_keys}
)
select min(day) from ({" union all ".join(parts)})"""
    row = con.execute(query, {"start": start, "day": day, "end": end, "as_of": as_of}).fetchone()
    return row[0] if row else None


def _fx_sql(models: DbtModels) -> str:
    """Converted rows of the kept days in a currency whose rates the rebuilt days bring or take away, dated on or
    after the first such rate (at any date when the kept days have no earlier rate of the currency: a transaction
    before a currency's first rate uses that first rate)."""
    staged_fx = models.relation(STAGED_FX_MODEL)
    return f"""
select min(converted._partition_date) as day
from {models.relation(STAGED_MONEY_MODEL)} as converted
inner join (
    select rebuilt.currency,
        case when kept.first_rate_date < rebuilt.first_rate_date then rebuilt.first_rate_date
            else date '0001-01-01' end as from_date
    from (
        select currency, min(rate_date) as first_rate_date from (
            select upper(trim(currency)) as currency, try_cast(trim(rate_date) as date) as rate_date from raw.fx_rates
            where _partition_date >= $day and _partition_date < $end
            union all
            select currency, rate_date from {staged_fx} where _partition_date >= $day
        )
        where rate_date is not null
        group by currency
    ) as rebuilt
    left join (
        select currency, min(rate_date) as first_rate_date from {staged_fx} where _partition_date < $day
        group by currency
    ) as kept on rebuilt.currency = kept.currency
) as rates on converted.original_currency = rates.currency
where converted._partition_date >= $start and converted._partition_date < $day
    and converted.occurred_date >= rates.from_date"""


def record_build(
    con: duckdb.DuckDBPyConnection, run_id: str, first_day: date | None, end: date, signature: str
) -> int:
    """Note a dbt build about to rebuild [first_day, end) (every day: first_day None) with the fingerprints of the
    days it reads; returns its id."""
    ensure_tables(con)
    con.execute("begin")
    build_id = con.execute(f"select coalesce(max(build_id), 0) + 1 from {BUILDS_TABLE}").fetchone()[0]
    con.execute(f"insert into {BUILDS_TABLE} values (?, ?, ?, ?, ?)", [build_id, run_id, first_day, end, signature])
    if table_exists(con, "ingestion", FINGERPRINTS_TABLE.split(".")[1]):
        con.execute(
            f"insert into {BUILD_FINGERPRINTS_TABLE} select ?, entity, partition_date, fingerprint "
            f"from {FINGERPRINTS_TABLE} where partition_date >= coalesce(?, partition_date) and partition_date < ?",
            [build_id, first_day, end],
        )
    con.execute("commit")
    return build_id


def record_publication(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """After the run `run_id` published: its builds' days are published with the fingerprints they read, and the
    builds noted before its last one no longer mark the days it rebuilt as unpublished. Returns how many builds the
    run had."""
    ensure_tables(con)
    builds = con.execute(
        f"select build_id, first_day, end_day, signature from {BUILDS_TABLE} where run_id = ? order by build_id",
        [run_id],
    ).fetchall()
    if not builds:
        return 0
    con.execute("begin")
    for build_id, first_day, end_day, _ in builds:
        con.execute(
            f"delete from {PUBLISHED_FINGERPRINTS_TABLE} "
            "where partition_date >= coalesce(?, partition_date) and partition_date < ?",
            [first_day, end_day],
        )
        con.execute(
            f"insert into {PUBLISHED_FINGERPRINTS_TABLE} select entity, partition_date, fingerprint "
            f"from {BUILD_FINGERPRINTS_TABLE} where build_id = ?",
            [build_id],
        )
    con.execute(f"delete from {PUBLISHED_SIGNATURE_TABLE}")
    con.execute(f"insert into {PUBLISHED_SIGNATURE_TABLE} values (?)", [builds[-1][3]])
    # The days the run rebuilt: from its earliest build's first day (every day after a build of all history) to its
    # latest end. An earlier build within them is covered; one reaching further back keeps its earlier days; one
    # reaching past them stays whole.
    last = builds[-1][0]
    covered_from = None if any(b[1] is None for b in builds) else min(b[1] for b in builds)
    covered_to = max(b[2] for b in builds)
    earlier = {"last": last, "covered_from": covered_from, "covered_to": covered_to}
    con.execute(
        f"delete from {BUILDS_TABLE} where build_id <= $last and end_day <= $covered_to "
        "and ($covered_from is null or first_day >= $covered_from)",
        earlier,
    )
    con.execute(
        f"update {BUILDS_TABLE} set end_day = $covered_from where build_id <= $last and end_day <= $covered_to "
        "and (first_day is null or first_day < $covered_from) and end_day > $covered_from",
        earlier,
    )
    con.execute(f"delete from {BUILD_FINGERPRINTS_TABLE} where build_id not in (select build_id from {BUILDS_TABLE})")
    con.execute("commit")
    return len(builds)
