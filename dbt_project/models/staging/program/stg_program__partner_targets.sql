-- Valid monthly partner targets (optional entity: empty when its folder is absent).
with

base as (
    select * from {{ ref('base_program__partner_targets') }}
    where rejection_reason is null
),

final as (
    select
        partner_id,
        period_start_date,
        metric,
        target,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
