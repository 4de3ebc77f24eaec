-- Valid sales and refunds; amounts in the original currency, timestamps in UTC.
-- A view on the judged rows of base_program__transactions (an incremental table): always in step with the
-- quarantine, and a run copies no 50M-row table (docs/benchmarks.md).
{{ config(materialized='view') }}
with

base as (
    select * from {{ ref('base_program__transactions') }}
    where rejection_reason is null
),

final as (
    select
        transaction_id,
        partner_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        kind,
        amount,
        currency,
        commission_amount,
        refund_of,
        product,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
