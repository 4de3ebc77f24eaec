-- Every NPS response row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'nps_responses') }}
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
        row_number() over (
            partition by trim(source.response_id)
            order by source._partition_date, source._source_file, source._source_row
        ) as key_occurrence
    from source
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
),

checked as (
    select
        *,
        case
            when response_id is null or response_id = '' then 'missing_required_field'
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_responded_at is null then 'missing_required_field'
            when raw_score is null then 'missing_required_field'
            when responded_at is null then 'unparseable_timestamp'
            when score is null or score < 0 or score > 10 then 'invalid_value'
            when cast(responded_at as date) > {{ as_of_date() }} then 'future_date'
            when not is_known_partner then 'unknown_partner'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when response_id is null or response_id = '' then 'response_id'
            when partner_id is null or partner_id = '' then 'partner_id'
            when raw_responded_at is null then 'responded_at'
            when raw_score is null then 'score'
            when responded_at is null then 'responded_at'
            when score is null or score < 0 or score > 10 then 'score'
            when cast(responded_at as date) > {{ as_of_date() }} then 'responded_at'
            when not is_known_partner then 'partner_id'
            when key_occurrence > 1 then 'response_id'
        end as rejected_field
    from typed
)

select * from checked
