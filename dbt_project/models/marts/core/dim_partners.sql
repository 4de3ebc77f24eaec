-- The partner dimension for BI: attributes from the latest snapshot (int_partners_latest), without the partner's
-- name or e-mail. The published columns and their order are the model contract in _core__models.yml.
with

partners as (
    select * from {{ ref('int_partners_latest') }}
),

final as (
    select
        {{ star_except(ref('int_partners_latest'), ['partner_name', 'email', 'updated_at', 'first_seen_date', 'terminated_date']) }},
        status = 'terminated' as is_terminated,
        {{ as_of_date() }} as as_of_date
    from partners
)

select * from final
