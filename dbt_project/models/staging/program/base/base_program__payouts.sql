-- Every payout row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("payout_id is null or payout_id = ''", "missing_required_field", "payout_id"),
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_requested_at is null", "missing_required_field", "requested_at"),
    ("raw_amount is null", "missing_required_field", "amount"),
    ("currency is null", "missing_required_field", "currency"),
    ("status is null", "missing_required_field", "status"),
    ("requested_at is null", "unparseable_timestamp", "requested_at"),
    ("raw_paid_at is not null and paid_at is null", "unparseable_timestamp", "paid_at"),
    ("amount is null", "invalid_value", "amount"),
    ("status not in ('requested', 'paid', 'failed', 'blocked')", "invalid_value", "status"),
    ("amount < 0", "negative_amount", "amount"),
    ("not " ~ is_currency_code('currency'), "bad_currency", "currency"),
    ("cast(requested_at as date) > " ~ as_of_date(), "future_date", "requested_at"),
    ("not is_known_partner", "unknown_partner", "partner_id"),
    ("key_occurrence > 1", "duplicate_key", "payout_id"),
] %}

with

source as (
    select * from {{ source('program', 'payouts') }}
),

duplicates as (
    {{ duplicate_key_occurrences('source', 'trim(payout_id)') }}
),

known_partners as (
    select distinct partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

typed as (
    select
        trim(source.payout_id) as payout_id,
        trim(source.partner_id) as partner_id,
        {{ parse_timestamp_utc('source.requested_at') }} as requested_at,
        {{ parse_timestamp_utc('source.paid_at') }} as paid_at,
        {{ parse_number('source.amount') }} as amount,
        upper(trim(source.currency)) as currency,
        lower(trim(source.status)) as status,
        nullif(trim(source.blocked_reason), '') as blocked_reason,
        source.requested_at as raw_requested_at,
        source.paid_at as raw_paid_at,
        source.amount as raw_amount,
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

checked as (
    select
        *,
        {{ first_rejection(checks) }}
    from typed
)

select * from checked
