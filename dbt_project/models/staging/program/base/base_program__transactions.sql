-- Every transaction row, typed and judged against the landing contract (macro judge_rows), then refunds
-- against the valid sales they reverse (same partner, not earlier than the sale).
-- A table, incremental on whole landing partitions (macro judge_landing_window): a nightly run parses and judges
-- only its window's rows (and the rows outside it it judges again), against the keys and valid sales of the
-- history already judged here, so it does not re-read 50M raw rows. A full build judges every raw row once; the
-- valid rows and the quarantine both read the result.
with

{{ judge_landing_window(
    'transactions',
    partners=ref('base_program__partners'),
    fx_rates=ref('base_program__fx_rates'),
    later_reasons=['unknown_refund_of', 'refund_before_sale'],
    key_columns=['partner_id', 'kind', 'refund_of', 'occurred_at'],
    reason_alias='row_reason',
    field_alias='row_field',
) }},

-- Only sales that some refund points at: the join below then builds on a few rows, not on every sale. Read from
-- judged_keys, not `judged` (macro judge_rows, key_columns).
-- `union` (distinct): after a backfill of an older window one sale may be valid in both sets.
valid_sales as (
    select transaction_id, partner_id, occurred_at
    from judged_keys
    where row_reason is null and kind = 'sale'
        and transaction_id in (select refund_of from judged_keys where kind = 'refund')
    {% if is_incremental() %}
    union
    select transaction_id, partner_id, occurred_at
    from {{ this }}
    where rejection_reason is null and kind = 'sale'
        and transaction_id in (select refund_of from judged_keys where kind = 'refund')
    {% endif %}
),

checked as (
    select
        judged.*,
        case
            when judged.row_reason is not null then judged.row_reason
            when judged.kind = 'refund' and valid_sales.transaction_id is null then 'unknown_refund_of'
            when judged.kind = 'refund' and judged.occurred_at < valid_sales.occurred_at then 'refund_before_sale'
        end as rejection_reason,
        case
            when judged.row_reason is not null then judged.row_field
            when judged.kind = 'refund' and valid_sales.transaction_id is null then 'refund_of'
            when judged.kind = 'refund' and judged.occurred_at < valid_sales.occurred_at then 'occurred_at'
        end as rejected_field
    from judged
    left join valid_sales
        on judged.refund_of = valid_sales.transaction_id
        and judged.partner_id = valid_sales.partner_id
)

select * from checked
