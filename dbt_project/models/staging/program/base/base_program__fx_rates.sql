-- Every fx rate row, typed, with the first reason it cannot be staged (null when it can).
{% set checks = [
    ("raw_rate_date is null", "missing_required_field", "rate_date"),
    ("currency is null", "missing_required_field", "currency"),
    ("raw_rate_to_reporting is null", "missing_required_field", "rate_to_reporting"),
    ("rate_date is null", "unparseable_timestamp", "rate_date"),
    ("not " ~ is_currency_code('currency'), "bad_currency", "currency"),
    ("rate_to_reporting is null or rate_to_reporting <= 0", "invalid_value", "rate_to_reporting"),
    ("key_occurrence > 1", "duplicate_key", "rate_date"),
] %}

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
        {{ first_rejection(checks) }}
    from typed
)

select * from checked
