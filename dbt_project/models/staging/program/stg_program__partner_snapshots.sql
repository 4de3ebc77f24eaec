-- Valid partner snapshot rows: one row per partner per snapshot date. Contains personal data (email).
with

base as (
    select * from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

final as (
    select
        partner_id,
        snapshot_date,
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
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
