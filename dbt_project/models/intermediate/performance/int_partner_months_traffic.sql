-- Partner x period of the days with traffic rows: clicks, daily unique visitors summed, days reported. Only
-- partner-periods with at least one row (optional entity traffic_daily: no rows at all when it is absent).
with

traffic as (
    select * from {{ ref('stg_program__traffic_daily') }}
),

final as (
    select
        partner_id,
        cast({{ period_trunc('traffic_date') }} as date) as month_start_date,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(unique_visitors) as bigint) as unique_visitors,
        count(*) as traffic_days
    from traffic
    group by partner_id, cast({{ period_trunc('traffic_date') }} as date)
)

select * from final
