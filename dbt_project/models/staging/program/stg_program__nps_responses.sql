-- Valid NPS survey responses (score 0-10; share_of_wallet 0-100 or null when not answered).
-- A view on the judged rows of base_program__nps_responses (an incremental table), like
-- stg_program__transactions: always in step with the quarantine, and a run copies no table of them. A table on
-- Spark (macro view_materialization).
{{ config(materialized=view_materialization()) }}
with

base as (
    select * from {{ ref('base_program__nps_responses') }}
    where rejection_reason is null
),

final as (
    select
        response_id,
        partner_id,
        responded_at,
        score,
        share_of_wallet,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
