-- Every partner snapshot row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'partners') }}
),

typed as (
    select
        trim(partner_id) as partner_id,
        partner_name,
        email,
        {{ parse_date('signup_date') }} as signup_date,
        upper(trim(region)) as region,
        upper(trim(country)) as country,
        lower(trim(partner_type)) as partner_type,
        nullif(trim(ecosystem), '') as ecosystem,
        nullif(trim(parent_partner_id), '') as parent_partner_id,
        account_manager,
        lower(trim(status)) as status,
        {{ parse_timestamp_utc('terminated_at') }} as terminated_at,
        termination_reason,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,
        signup_date as raw_signup_date,
        terminated_at as raw_terminated_at,
        updated_at as raw_updated_at,
        _partition_date as snapshot_date,
        _partition_date,
        _source_file,
        _source_row,
        row_number() over (
            partition by _partition_date, trim(partner_id)
            order by _source_file, _source_row
        ) as key_occurrence
    from source
),

checked as (
    select
        *,
        case
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_signup_date is null then 'missing_required_field'
            when status is null then 'missing_required_field'
            when signup_date is null then 'unparseable_timestamp'
            when raw_terminated_at is not null and terminated_at is null then 'unparseable_timestamp'
            when raw_updated_at is not null and updated_at is null then 'unparseable_timestamp'
            when status not in ('active', 'suspended', 'terminated') then 'invalid_value'
            when signup_date > {{ as_of_date() }} then 'future_date'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when partner_id is null or partner_id = '' then 'partner_id'
            when raw_signup_date is null then 'signup_date'
            when status is null then 'status'
            when signup_date is null then 'signup_date'
            when raw_terminated_at is not null and terminated_at is null then 'terminated_at'
            when raw_updated_at is not null and updated_at is null then 'updated_at'
            when status not in ('active', 'suspended', 'terminated') then 'status'
            when signup_date > {{ as_of_date() }} then 'signup_date'
            when key_occurrence > 1 then 'partner_id'
        end as rejected_field
    from typed
)

select * from checked
