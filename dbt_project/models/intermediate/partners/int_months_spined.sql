-- One row per calendar month from history_start_date to the month of as_of_date.
with

spine as (
    {{ dbt.date_spine(
        'month',
        "cast('" ~ var('history_start_date') ~ "' as date)",
        dbt.dateadd('month', 1, as_of_date()),
    ) }}
),

final as (
    select
        cast(date_month as date) as month_start_date,
        cast({{ dbt.dateadd('month', 1, 'date_month') }} as date) as next_month_start_date
    from spine
    where date_month <= {{ as_of_date() }}
)

select * from final
