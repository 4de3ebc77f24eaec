-- Every interaction row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'interactions') }}
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
        row_number() over (
            partition by trim(source.interaction_id)
            order by source._partition_date, source._source_file, source._source_row
        ) as key_occurrence
    from source
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
),

checked as (
    select
        *,
        case
            when interaction_id is null or interaction_id = '' then 'missing_required_field'
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_occurred_at is null then 'missing_required_field'
            when kind is null then 'missing_required_field'
            when occurred_at is null then 'unparseable_timestamp'
            when kind not in ('meeting', 'call', 'review', 'event', 'training', 'joint_initiative')
                then 'invalid_value'
            when cast(occurred_at as date) > {{ as_of_date() }} then 'future_date'
            when not is_known_partner then 'unknown_partner'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when interaction_id is null or interaction_id = '' then 'interaction_id'
            when partner_id is null or partner_id = '' then 'partner_id'
            when raw_occurred_at is null then 'occurred_at'
            when kind is null then 'kind'
            when occurred_at is null then 'occurred_at'
            when kind not in ('meeting', 'call', 'review', 'event', 'training', 'joint_initiative')
                then 'kind'
            when cast(occurred_at as date) > {{ as_of_date() }} then 'occurred_at'
            when not is_known_partner then 'partner_id'
            when key_occurrence > 1 then 'interaction_id'
        end as rejected_field
    from typed
)

select * from checked
