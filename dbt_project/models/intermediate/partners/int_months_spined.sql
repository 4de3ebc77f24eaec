-- One row per period (calendar month, or quarter with var period_grain) from history_start_date to the
-- period of as_of_date. Column names keep "month": at quarter grain month_start_date is the quarter's first day.
-- The spine runs to the as-of date, the newest loaded day, so it comes after the day's load: the dependency below
-- says so to dbt and to Dagster (without one, Dagster could run this model in a step of its own before the load).
-- depends_on: {{ source('program', 'transactions') }}
with

spine as (
    {{ dbt.date_spine(
        'month',
        period_trunc("cast('" ~ var('history_start_date') ~ "' as date)"),
        dbt.dateadd('month', 1, as_of_date()),
    ) }}
),

final as (
    select
        cast(date_month as date) as month_start_date,
        cast({{ period_add(1, 'date_month') }} as date) as next_month_start_date
    from spine
    where date_month <= {{ as_of_date() }}
        and date_month = {{ period_trunc('date_month') }}
)

select * from final
