-- Every interaction row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("interaction_id is null or interaction_id = ''", "missing_required_field", "interaction_id"),
    ("partner_id is null or partner_id = ''", "missing_required_field", "partner_id"),
    ("raw_occurred_at is null", "missing_required_field", "occurred_at"),
    ("kind is null", "missing_required_field", "kind"),
    ("occurred_at is null", "unparseable_timestamp", "occurred_at"),
    ("kind not in ('meeting', 'call', 'review', 'event', 'training', 'joint_initiative')", "invalid_value", "kind"),
    ("cast(occurred_at as date) > " ~ as_of_date(), "future_date", "occurred_at"),
    ("not is_known_partner", "unknown_partner", "partner_id"),
    ("key_occurrence > 1", "duplicate_key", "interaction_id"),
] %}

with

source as (
    select * from {{ source('program', 'interactions') }}
),

duplicates as (
    {{ duplicate_key_occurrences('source', 'trim(interaction_id)') }}
),

known_partners as (
    select distinct partner_id from {{ ref('base_program__partners') }}
    where rejection_reason is null
),

typed as (
    select
        trim(source.interaction_id) as interaction_id,
        trim(source.partner_id) as partner_id,
        {{ parse_timestamp_utc('source.occurred_at') }} as occurred_at,
        lower(trim(source.kind)) as kind,
        source.occurred_at as raw_occurred_at,
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
