-- Valid relationship interactions (meetings, calls, reviews, ...).
-- A view on the judged rows of base_program__interactions (an incremental table), like
-- stg_program__transactions: always in step with the quarantine, and a run copies no table of them. A table on
-- Spark (macro view_materialization).
{{ config(materialized=view_materialization()) }}
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
