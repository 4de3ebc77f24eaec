"""When a run must re-judge quarantined transactions outside its window (no Dagster here).

The judged transactions are incremental: a window run judges only its window's rows. A row quarantined as
`unknown_partner` (its partner's snapshot had not landed) or `no_fx_rate` (its currency had no rates) becomes
valid once that snapshot or those rates land, possibly in a later and non-overlapping window (a split
backfill). This finds such rows, so the run rebuilds the judged transactions from all raw history.
"""

from __future__ import annotations

from datetime import date

import duckdb

from orchestration.lib.tables import table_exists

# The judged transactions of the previous run (dbt model base_program__transactions), read before this run's dbt.
JUDGED_TRANSACTIONS = "staging.base_program__transactions"
_PENDING_SQL = f"""
with window_partners as (
    select distinct trim(partner_id) as partner_id from raw.partners
    where _partition_date >= $start and _partition_date < $end
),
window_currencies as (
    select distinct upper(trim(currency)) as currency from raw.fx_rates
    where _partition_date >= $start and _partition_date < $end
)
select rejection_reason, count(*)
from {JUDGED_TRANSACTIONS}
where not (_partition_date >= $start and _partition_date < $end)
    and (
        (rejection_reason = 'unknown_partner' and partner_id in (select partner_id from window_partners))
        or (rejection_reason = 'no_fx_rate' and currency in (select currency from window_currencies))
    )
group by rejection_reason
order by rejection_reason
"""


def pending_rejudgements(con: duckdb.DuckDBPyConnection, start: date, end: date) -> dict[str, int]:
    """Quarantined transactions outside [start, end) that this window's snapshots or fx rates may now stage."""
    needed = [tuple(JUDGED_TRANSACTIONS.split(".")), ("raw", "partners"), ("raw", "fx_rates")]
    if not all(table_exists(con, schema, table) for schema, table in needed):
        return {}
    rows = con.execute(_PENDING_SQL, {"start": start, "end": end}).fetchall()
    return {reason: int(count) for reason, count in rows}
