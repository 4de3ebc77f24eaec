-- Valid daily click counts per partner (optional entity: empty when its folder is absent).
-- A view on the judged rows of base_program__traffic_daily (an incremental table), like stg_program__transactions:
-- always in step with the quarantine, and a run copies no table of three years of clicks. A table on Spark: a
-- publish suite reads this model, and the Spark engine hands models back as their Parquet files (a view has none).
{{ config(materialized=view_materialization()) }}
with

base as (
    select * from {{ ref('base_program__traffic_daily') }}
    where rejection_reason is null
),

final as (
    select
        partner_id,
        traffic_date,
        clicks,
        unique_visitors,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
