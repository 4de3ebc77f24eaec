-- The fx rate valid on every day from history_start_date to the as-of date, per currency: the latest rate on or
-- before the day (the first rate for days before it). Transactions look their rate up by (currency, day).
with

rates as (
    select * from {{ ref('int_fx_rates_ranged') }}
),

days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('history_start_date') ~ "' as date)",
        dbt.dateadd('day', 1, as_of_date()),
    ) }}
),

final as (
    select
        rates.currency,
        cast(days.date_day as date) as rate_day,
        rates.rate_date,
        rates.rate_to_reporting
    from rates
    inner join days
        on days.date_day >= rates.valid_from_date
        and days.date_day < rates.valid_to_date
)

select * from final
