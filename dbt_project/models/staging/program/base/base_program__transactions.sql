-- Every transaction row, typed, with the first reason it cannot be staged (null when it can).
-- A table, incremental on whole landing partitions: a nightly run parses and judges only its window's rows (and
-- later rows sharing their keys), against the keys and valid sales of the history already judged here, so it
-- does not re-read 50M raw rows. A full build judges every raw row once; the valid rows and the quarantine both
-- read the result.
{{
    config(
        materialized=('incremental' if has_partition_window() else 'table'),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ delete_partition_window() }}", "{{ delete_later_rows_sharing_window_keys() }}"],
    )
}}
{% set checks = [
    ("transaction_id is null or transaction_id = ''", "missing_required_field", "transaction_id"),
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_occurred_at is null", "missing_required_field", "occurred_at"),
    ("kind is null", "missing_required_field", "kind"),
    ("raw_amount is null", "missing_required_field", "amount"),
    ("currency is null", "missing_required_field", "currency"),
    ("occurred_at is null", "unparseable_timestamp", "occurred_at"),
    ("kind not in ('sale', 'refund')", "invalid_value", "kind"),
    ("amount is null", "invalid_value", "amount"),
    ("raw_commission_amount is not null and trim(raw_commission_amount) <> '' and "
        ~ parse_number('raw_commission_amount') ~ " is null", "invalid_value", "commission_amount"),
    ("amount < 0", "negative_amount", "amount"),
    ("commission_amount < 0", "negative_amount", "commission_amount"),
    ("not " ~ is_currency_code('currency'), "bad_currency", "currency"),
    ("cast(occurred_at as date) > " ~ as_of_date(), "future_date", "occurred_at"),
    ("not is_known_partner", "unknown_partner", "partner_id"),
    ("key_occurrence > 1", "duplicate_key", "transaction_id"),
] %}

with

source as (
    {% if is_incremental() %}
        {{ window_rows(source('program', 'transactions'), 'trim(transaction_id)') }}
    {% else %}
        select * from {{ source('program', 'transactions') }}
    {% endif %}
),

{% if is_incremental() %}
-- The keys being judged with every other occurrence already judged (the pre-hooks removed the rows judged again).
keyed as (
    select trim(transaction_id) as transaction_id, _partition_date, _source_file, _source_row from source
    union all
    select transaction_id, _partition_date, _source_file, _source_row from {{ this }}
    where transaction_id in (select trim(transaction_id) from source)
),
{% endif %}

duplicates as (
    {% if is_incremental() %}
        {{ duplicate_key_occurrences('keyed', 'transaction_id') }}
    {% else %}
        {{ duplicate_key_occurrences('source', 'trim(transaction_id)') }}
    {% endif %}
),

known_partners as (
    select distinct partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

typed as (
    select
        trim(source.transaction_id) as transaction_id,
        trim(source.partner_id) as partner_id,
        nullif(trim(source.customer_id), '') as customer_id,
        {{ parse_timestamp_utc('source.occurred_at') }} as occurred_at,
        lower(trim(source.kind)) as kind,
        {{ parse_number('source.amount') }} as amount,
        upper(trim(source.currency)) as currency,
        coalesce({{ parse_number('source.commission_amount') }}, 0) as commission_amount,
        nullif(trim(source.refund_of), '') as refund_of,
        nullif(trim(source.product), '') as product,
        source.occurred_at as raw_occurred_at,
        source.amount as raw_amount,
        source.commission_amount as raw_commission_amount,
        known_partners.partner_id is not null as is_known_partner,
        source._partition_date,
        source._source_file,
        source._source_row,
        coalesce(duplicates.key_occurrence, 1) as key_occurrence
    from source
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
    left join duplicates
        on source._source_file = duplicates._source_file
        and source._source_row = duplicates._source_row
),

field_checked as (
    select
        *,
        {{ first_rejection(checks, 'field_reason', 'field_rejected') }}
    from typed
),

-- Only sales that some refund points at: the join below then builds on a few rows, not on every sale.
-- `union` (distinct): after a backfill of an older window one sale may be valid in both sets.
valid_sales as (
    select transaction_id, partner_id
    from field_checked
    where field_reason is null and kind = 'sale'
        and transaction_id in (select refund_of from field_checked where kind = 'refund')
    {% if is_incremental() %}
    union
    select transaction_id, partner_id
    from {{ this }}
    where rejection_reason is null and kind = 'sale'
        and transaction_id in (select refund_of from field_checked where kind = 'refund')
    {% endif %}
),

checked as (
    select
        field_checked.*,
        case
            when field_checked.field_reason is not null then field_checked.field_reason
            when field_checked.kind = 'refund' and valid_sales.transaction_id is null then 'unknown_refund_of'
        end as rejection_reason,
        case
            when field_checked.field_reason is not null then field_checked.field_rejected
            when field_checked.kind = 'refund' and valid_sales.transaction_id is null then 'refund_of'
        end as rejected_field
    from field_checked
    left join valid_sales
        on field_checked.refund_of = valid_sales.transaction_id
        and field_checked.partner_id = valid_sales.partner_id
)

select * from checked
