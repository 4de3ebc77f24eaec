-- Every partner snapshot row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_signup_date is null", "missing_required_field", "signup_date"),
    ("status is null", "missing_required_field", "status"),
    ("signup_date is null", "unparseable_timestamp", "signup_date"),
    ("raw_terminated_at is not null and terminated_at is null", "unparseable_timestamp", "terminated_at"),
    ("raw_updated_at is not null and updated_at is null", "unparseable_timestamp", "updated_at"),
    ("status not in ('active', 'suspended', 'terminated')", "invalid_value", "status"),
    ("signup_date > " ~ as_of_date(), "future_date", "signup_date"),
    ("key_occurrence > 1", "duplicate_key", "partner_id"),
] %}

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
        {{ first_rejection(checks) }}
    from typed
)

select * from checked
