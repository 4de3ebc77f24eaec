-- Every NPS response row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("response_id is null or response_id = ''", "missing_required_field", "response_id"),
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_responded_at is null", "missing_required_field", "responded_at"),
    ("raw_score is null", "missing_required_field", "score"),
    ("responded_at is null", "unparseable_timestamp", "responded_at"),
    ("score is null or score < 0 or score > 10", "invalid_value", "score"),
    ("cast(responded_at as date) > " ~ as_of_date(), "future_date", "responded_at"),
    ("not is_known_partner", "unknown_partner", "partner_id"),
    ("key_occurrence > 1", "duplicate_key", "response_id"),
] %}

with

source as (
    select * from {{ source('program', 'nps_responses') }}
),

duplicates as (
    {{ duplicate_key_occurrences('source', 'trim(response_id)') }}
),

known_partners as (
    select distinct partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

typed as (
    select
        trim(source.response_id) as response_id,
        trim(source.partner_id) as partner_id,
        {{ parse_timestamp_utc('source.responded_at') }} as responded_at,
        {{ dbt.safe_cast('trim(source.score)', api.Column.translate_type('integer')) }} as score,
        source.responded_at as raw_responded_at,
        source.score as raw_score,
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
