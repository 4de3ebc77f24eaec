-- Each partner as of its latest valid snapshot (the partner dimension before publication rules).
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
        partner_id,
        partner_name,
        email,
        signup_date,
        region,
        country,
        partner_type,
        ecosystem,
        parent_partner_id,
        account_manager,
        status,
        terminated_at,
        termination_reason,
        updated_at,
        snapshot_date as last_snapshot_date,
        first_seen_date
    from ranked
    where snapshot_rank = 1
)

select * from final
