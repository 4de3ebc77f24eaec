-- Valid monthly partner targets (optional entity: empty when its folder is absent).
-- A view on the judged rows of base_program__partner_targets (an incremental table), like
-- stg_program__transactions: always in step with the quarantine, and a run copies no table of them. A table on
-- Spark (macro view_materialization).
{{ config(materialized=view_materialization()) }}
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
