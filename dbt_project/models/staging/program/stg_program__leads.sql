-- Valid leads; timestamps in UTC.
with

base as (
    select * from {{ ref('base_program__leads') }}
    where rejection_reason is null
),

final as (
    select
        lead_id,
        partner_id,
        created_at,
        converted_at,
        status,
        status = 'converted' as is_converted,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
