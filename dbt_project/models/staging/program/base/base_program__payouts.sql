-- Every payout row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'payouts') }}
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
        row_number() over (
            partition by trim(source.payout_id)
            order by source._partition_date, source._source_file, source._source_row
        ) as key_occurrence
    from source
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
),

checked as (
    select
        *,
        case
            when payout_id is null or payout_id = '' then 'missing_required_field'
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_requested_at is null then 'missing_required_field'
            when raw_amount is null then 'missing_required_field'
            when currency is null then 'missing_required_field'
            when status is null then 'missing_required_field'
            when requested_at is null then 'unparseable_timestamp'
            when raw_paid_at is not null and paid_at is null then 'unparseable_timestamp'
            when amount is null then 'invalid_value'
            when status not in ('requested', 'paid', 'failed', 'blocked') then 'invalid_value'
            when amount < 0 then 'negative_amount'
            when not {{ is_currency_code('currency') }} then 'bad_currency'
            when cast(requested_at as date) > {{ as_of_date() }} then 'future_date'
            when not is_known_partner then 'unknown_partner'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when payout_id is null or payout_id = '' then 'payout_id'
            when partner_id is null or partner_id = '' then 'partner_id'
            when raw_requested_at is null then 'requested_at'
            when raw_amount is null then 'amount'
            when currency is null then 'currency'
            when status is null then 'status'
            when requested_at is null then 'requested_at'
            when raw_paid_at is not null and paid_at is null then 'paid_at'
            when amount is null then 'amount'
            when status not in ('requested', 'paid', 'failed', 'blocked') then 'status'
            when amount < 0 then 'amount'
            when not {{ is_currency_code('currency') }} then 'currency'
            when cast(requested_at as date) > {{ as_of_date() }} then 'requested_at'
            when not is_known_partner then 'partner_id'
            when key_occurrence > 1 then 'payout_id'
        end as rejected_field
    from typed
)

select * from checked
