-- The partner dimension for BI: attributes from the latest snapshot, without e-mail or other personal data.
with

partners as (
    select * from {{ ref('int_partners_latest') }}
),

final as (
    select
        partner_id,
        signup_date,
        region,
        country,
        partner_type,
        ecosystem,
        parent_partner_id,
        account_manager,
        status,
        status = 'terminated' as is_terminated,
        terminated_at,
        termination_reason,
        last_snapshot_date,
        {{ as_of_date() }} as as_of_date
    from partners
)

select * from final
