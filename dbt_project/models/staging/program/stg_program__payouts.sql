-- Valid payout requests; amounts in the original currency, timestamps in UTC.
-- A view on the judged rows of base_program__payouts (an incremental table), like
-- stg_program__transactions: always in step with the quarantine, and a run copies no table of them. A table on
-- Spark (macro view_materialization).
{{ config(materialized=view_materialization()) }}
with

base as (
    select * from {{ ref('base_program__payouts') }}
    where rejection_reason is null
),

final as (
    select
        payout_id,
        partner_id,
        requested_at,
        paid_at,
        amount,
        currency,
        status,
        blocked_reason,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
