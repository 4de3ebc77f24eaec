-- Valid daily fx rates: units of reporting currency per unit of currency.
with

base as (
    select * from {{ ref('base_program__fx_rates') }}
    where rejection_reason is null
),

final as (
    select
        rate_date,
        currency,
        rate_to_reporting,
        _partition_date,
        _source_file,
        _source_row
    from base
)

select * from final
