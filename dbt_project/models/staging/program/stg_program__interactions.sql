-- Valid relationship interactions (meetings, calls, reviews, ...).
with

base as (
    select * from {{ ref('base_program__interactions') }}
    where rejection_reason is null
),

final as (
    select
        interaction_id,
        partner_id,
        occurred_at,
        kind,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
