-- Every lead row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'leads') }}
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
        row_number() over (
            partition by trim(source.lead_id)
            order by source._partition_date, source._source_file, source._source_row
        ) as key_occurrence
    from source
    left join known_partners on trim(source.partner_id) = known_partners.partner_id
),

checked as (
    select
        *,
        case
            when lead_id is null or lead_id = '' then 'missing_required_field'
            when partner_id is null or partner_id = '' then 'missing_required_field'
            when raw_created_at is null then 'missing_required_field'
            when status is null then 'missing_required_field'
            when created_at is null then 'unparseable_timestamp'
            when raw_converted_at is not null and converted_at is null then 'unparseable_timestamp'
            when status not in ('open', 'converted', 'lost') then 'invalid_value'
            when cast(created_at as date) > {{ as_of_date() }} then 'future_date'
            when not is_known_partner then 'unknown_partner'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when lead_id is null or lead_id = '' then 'lead_id'
            when partner_id is null or partner_id = '' then 'partner_id'
            when raw_created_at is null then 'created_at'
            when status is null then 'status'
            when created_at is null then 'created_at'
            when raw_converted_at is not null and converted_at is null then 'converted_at'
            when status not in ('open', 'converted', 'lost') then 'status'
            when cast(created_at as date) > {{ as_of_date() }} then 'created_at'
            when not is_known_partner then 'partner_id'
            when key_occurrence > 1 then 'lead_id'
        end as rejected_field
    from typed
)

select * from checked
