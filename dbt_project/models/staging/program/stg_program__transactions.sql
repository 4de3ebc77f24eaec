-- Valid sales and refunds; amounts in the original currency, timestamps in UTC.
-- Incremental on whole landing partitions: base_program__transactions judged the window's rows against
-- all history (dedupe, unknown partners, refunds); only the window's rows are rewritten here.
{{
    config(
        materialized=('incremental' if has_partition_window() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail',
        pre_hook="{{ delete_partition_window() }}",
    )
}}
with

base as (
    select * from {{ ref('base_program__transactions') }}
    where rejection_reason is null
    {% if is_incremental() and has_partition_window() %}
        and {{ partition_window_predicate() }}
    {% endif %}
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
