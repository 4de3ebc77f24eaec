-- Every fx rate row, typed, with the first reason it cannot be staged (null when it can).
with

source as (
    select * from {{ source('program', 'fx_rates') }}
),

typed as (
    select
        {{ parse_date('rate_date') }} as rate_date,
        upper(trim(currency)) as currency,
        {{ dbt.safe_cast('rate_to_reporting', api.Column.translate_type('double')) }} as rate_to_reporting,
        rate_date as raw_rate_date,
        rate_to_reporting as raw_rate_to_reporting,
        _partition_date,
        _source_file,
        _source_row,
        row_number() over (
            partition by rate_date, upper(trim(currency))
            order by _partition_date, _source_file, _source_row
        ) as key_occurrence
    from source
),

checked as (
    select
        *,
        case
            when raw_rate_date is null or currency is null or raw_rate_to_reporting is null
                then 'missing_required_field'
            when rate_date is null then 'unparseable_timestamp'
            when not {{ is_currency_code('currency') }} then 'bad_currency'
            when rate_to_reporting is null or rate_to_reporting <= 0 then 'invalid_value'
            when key_occurrence > 1 then 'duplicate_key'
        end as rejection_reason,
        case
            when raw_rate_date is null then 'rate_date'
            when currency is null then 'currency'
            when raw_rate_to_reporting is null then 'rate_to_reporting'
            when rate_date is null then 'rate_date'
            when not {{ is_currency_code('currency') }} then 'currency'
            when rate_to_reporting is null or rate_to_reporting <= 0 then 'rate_to_reporting'
            when key_occurrence > 1 then 'rate_date'
        end as rejected_field
    from typed
)

select * from checked
