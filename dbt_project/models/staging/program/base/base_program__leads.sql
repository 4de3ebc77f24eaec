-- Every lead row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("lead_id is null or lead_id = ''", "missing_required_field", "lead_id"),
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_created_at is null", "missing_required_field", "created_at"),
    ("status is null", "missing_required_field", "status"),
    ("created_at is null", "unparseable_timestamp", "created_at"),
    ("raw_converted_at is not null and converted_at is null", "unparseable_timestamp", "converted_at"),
    ("status not in ('open', 'converted', 'lost')", "invalid_value", "status"),
    ("cast(created_at as date) > " ~ as_of_date(), "future_date", "created_at"),
    ("not is_known_partner", "unknown_partner", "partner_id"),
    ("key_occurrence > 1", "duplicate_key", "lead_id"),
] %}

with

source as (
    select * from {{ source('program', 'leads') }}
),

duplicates as (
    {{ duplicate_key_occurrences('source', 'trim(lead_id)') }}
),

known_partners as (
    select distinct partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

typed as (
    select
        trim(source.lead_id) as lead_id,
        trim(source.partner_id) as partner_id,
        {{ parse_timestamp_utc('source.created_at') }} as created_at,
        {{ parse_timestamp_utc('source.converted_at') }} as converted_at,
        lower(trim(source.status)) as status,
        source.created_at as raw_created_at,
        source.converted_at as raw_converted_at,
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
