"""When a run must re-judge quarantined rows outside its window (no Dagster here).

The judged base models of every entity but the fx rates are incremental on landing partitions: a window run judges
only its window's rows. A row quarantined as `unknown_partner` (its partner's snapshot had not landed) or
`no_fx_rate` (its currency had no rates) becomes valid once that snapshot or those rates land, possibly in a later
and non-overlapping window (a split backfill). This finds such rows, so the run rebuilds the incremental models
from all raw history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from orchestration.lib.contract import ENTITIES
from orchestration.lib.tables import table_exists

# The judged base models (dbt, staging schema) are named after their entity.
BASE_MODEL_PREFIX = "base_program__"
# What makes a base model incremental on landing partitions: an incremental strategy in its config (dbt macros
# windowed_materialization and judge_landing_window). The manifest's `materialized` says `table`: dbt parses
# without a window, and a run without one builds every base model whole.
WINDOWED_STRATEGY = "append"


def windowed_base_models(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The manifest node by entity of every judged base model incremental on landing partitions, from the dbt
    manifest's models by name (their config is the one place that says so)."""
    return {
        name.removeprefix(BASE_MODEL_PREFIX): node
        for name, node in sorted(nodes.items())
        if name.startswith(BASE_MODEL_PREFIX) and node["config"].get("incremental_strategy") == WINDOWED_STRATEGY
    }


def windowed_judged_relations(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """`schema.table` by entity of every windowed judged base model (`windowed_base_models`) that can hold rows
    another entity's window may stage (an entity checked against the partners or converted with fx rates). The
    partner snapshots themselves are incremental too, but nothing they quarantine waits on another entity."""
    return {
        entity: f"{node['schema']}.{node['alias']}"
        for entity, node in windowed_base_models(nodes).items()
        if _waiting_conditions(entity)
    }


def _waiting_conditions(entity: str) -> list[str]:
    """SQL conditions on one judged model's rows quarantined for want of a partner snapshot or fx rates that the
    window brings (CTEs window_partners and window_currencies of `pending_rejudgements`)."""
    spec = ENTITIES[entity]
    conditions = []
    if spec.partner_checked:
        conditions.append(
            "(rejection_reason = 'unknown_partner' and partner_id in (select partner_id from window_partners))"
        )
    conditions += [
        f"(rejection_reason = 'no_fx_rate' and {c.name} in (select currency from window_currencies))"
        for c in spec.contract_columns
        if c.rules.get("converted")
    ]
    return conditions


def _pending_sql(entity: str, relation: str) -> str | None:
    """Rows of one judged model outside the window that the window's snapshots or fx rates may now stage."""
    conditions = _waiting_conditions(entity)
    if not conditions:
        return None
    return f"""
select '{entity}' as entity, rejection_reason, count(*) as n
from {relation}
where not (_partition_date >= $start and _partition_date < $end)
    and ({" or ".join(conditions)})
group by rejection_reason"""


def pending_rejudgements(
    con: duckdb.DuckDBPyConnection, start: date, end: date, relations: Mapping[str, str]
) -> dict[str, int]:
    """Quarantined rows outside [start, end) of the judged models `relations` (by entity) that this window's
    snapshots or fx rates may now stage, counted by `entity rejection_reason`."""
    present = {e: r for e, r in relations.items() if table_exists(con, *r.split("."))}
    if not present or not all(table_exists(con, "raw", t) for t in ("partners", "fx_rates")):
        return {}
    parts = [sql for e, r in present.items() if (sql := _pending_sql(e, r))]
    if not parts:
        return {}
    query = f"""
with window_partners as (
    select distinct trim(partner_id) as partner_id from raw.partners
    where _partition_date >= $start and _partition_date < $end
),
window_currencies as (
    select distinct upper(trim(currency)) as currency from raw.fx_rates
    where _partition_date >= $start and _partition_date < $end
)
{" union all ".join(parts)}
order by entity, rejection_reason"""
    rows = con.execute(query, {"start": start, "end": end}).fetchall()
    return {f"{entity} {reason}": int(n) for entity, reason, n in rows}
