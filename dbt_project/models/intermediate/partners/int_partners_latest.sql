-- Each partner as of its latest valid snapshot (the partner dimension before publication rules), with the one
-- definition of the date a partner left the program (docs/metrics.md "Partner status", Termination).
with

snapshots as (
    select * from {{ ref('stg_program__partner_snapshots') }}
),

ranked as (
    select
        *,
        row_number() over (partition by partner_id order by snapshot_date desc) as snapshot_rank,
        min(snapshot_date) over (partition by partner_id) as first_seen_date
    from snapshots
),

final as (
    select
        -- Every attribute of the snapshot, without its lineage columns.
        {{ star_except(ref('stg_program__partner_snapshots'), ['snapshot_date', '_partition_date', '_source_file', '_source_row']) }},
        first_seen_date,
        snapshot_date as last_snapshot_date,
        -- Terminated without a timestamp: the latest snapshot (the one that says so) dates it.
        coalesce(
            cast(terminated_at as date),
            case when status = 'terminated' then snapshot_date end
        ) as terminated_date
    from ranked
    where snapshot_rank = 1
)

select * from final
