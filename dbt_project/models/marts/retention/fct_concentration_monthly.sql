-- Revenue concentration per period over revenue-active partners: top-20% / top-1 / top-5 shares, Gini, HHI.
-- Periods start at the first period with transaction data (int_program_months_spined).
{% set top_share = var('concentration_top_share') | float %}
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

months as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        max(reporting_currency) as reporting_currency,
        max(as_of_date) as as_of_date
    from partner_months
    where month_start_date in (select program_months.month_start_date from program_months)
    group by month_start_date, next_month_start_date, is_partial_period
),

positive as (
    select
        partner_id,
        month_start_date,
        -- Decimal, not double: sums of doubles depend on the order threads add them (last bits differ by run).
        cast(net_revenue_reporting as decimal(18, 4)) as net_revenue_reporting
    from partner_months
    where net_revenue_reporting > 0
),

ranked as (
    select
        *,
        row_number() over (partition by month_start_date order by net_revenue_reporting desc, partner_id asc)
            as revenue_rank,
        row_number() over (partition by month_start_date order by net_revenue_reporting asc, partner_id desc)
            as ascending_rank,
        count(*) over (partition by month_start_date) as partner_count
    from positive
),

aggregated as (
    select
        month_start_date,
        max(partner_count) as revenue_active_partner_count,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(case when revenue_rank <= ceiling(partner_count * {{ '%.6f' | format(top_share) }}) then net_revenue_reporting else 0 end)
            as top_share_revenue_reporting,
        sum(case when revenue_rank = 1 then net_revenue_reporting else 0 end) as top_1_revenue_reporting,
        sum(case when revenue_rank <= 5 then net_revenue_reporting else 0 end) as top_5_revenue_reporting,
        sum(ascending_rank * net_revenue_reporting) as rank_weighted_revenue,
        sum(cast(net_revenue_reporting as decimal(38, 4)) * cast(net_revenue_reporting as decimal(38, 4)))
            as squared_revenue
    from ranked
    group by month_start_date
),

final as (
    select
        months.month_start_date,
        months.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        months.is_partial_period,
        coalesce(aggregated.revenue_active_partner_count, 0) as revenue_active_partner_count,
        cast(ceiling(coalesce(aggregated.revenue_active_partner_count, 0) * {{ '%.6f' | format(top_share) }}) as {{ dbt.type_int() }})
            as top_share_partner_count,
        cast(coalesce(aggregated.net_revenue_reporting, 0) as {{ type_double() }}) as positive_net_revenue_reporting,
        {{ safe_ratio('aggregated.top_share_revenue_reporting', 'aggregated.net_revenue_reporting') }} as top_20_pct_revenue_share,
        {{ safe_ratio('aggregated.top_1_revenue_reporting', 'aggregated.net_revenue_reporting') }} as top_1_revenue_share,
        {{ safe_ratio('aggregated.top_5_revenue_reporting', 'aggregated.net_revenue_reporting') }} as top_5_revenue_share,
        {{ safe_ratio('2 * aggregated.rank_weighted_revenue', 'aggregated.revenue_active_partner_count * aggregated.net_revenue_reporting') }}
            - {{ safe_ratio('aggregated.revenue_active_partner_count + 1', 'aggregated.revenue_active_partner_count') }}
            as gini_coefficient,
        {{ safe_ratio('aggregated.squared_revenue', 'aggregated.net_revenue_reporting * aggregated.net_revenue_reporting') }}
            as herfindahl_hirschman_index,
        months.reporting_currency,
        months.as_of_date
    from months
    left join aggregated on months.month_start_date = aggregated.month_start_date
)

select * from final
