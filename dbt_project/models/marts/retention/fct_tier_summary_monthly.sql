-- Per period and tier: partner counts, revenue and its share, and tier movements (upgrades, downgrades).
-- Every period from the first with transaction data (int_program_months_spined) has all four tiers, zero counts where empty.
with

tiers as (
    select * from {{ ref('fct_partner_tiers_monthly') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

months as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        max(as_of_date) as as_of_date,
        sum(trailing_12m_net_revenue_reporting) as program_trailing_12m_net_revenue_reporting,
        sum(net_revenue_reporting) as program_net_revenue_reporting
    from tiers
    where month_start_date in (select program_months.month_start_date from program_months)
    group by month_start_date, next_month_start_date, is_partial_period
),

tier_names as (
    select 'platinum' as tier, 1 as tier_level
    union all select 'gold' as tier, 2 as tier_level
    union all select 'silver' as tier, 3 as tier_level
    union all select 'bronze' as tier, 4 as tier_level
),

aggregated as (
    select
        month_start_date,
        tier,
        count(*) as partner_count,
        sum(trailing_12m_net_revenue_reporting) as trailing_12m_net_revenue_reporting,
        sum(net_revenue_reporting) as net_revenue_reporting,
        count(case when tier_movement = 'upgrade' then 1 end) as upgraded_in_count,
        count(case when tier_movement = 'downgrade' then 1 end) as downgraded_in_count,
        count(case when tier_movement = 'new' then 1 end) as new_in_count
    from tiers
    group by month_start_date, tier
),

departures as (
    select
        month_start_date,
        previous_tier as tier,
        count(case when tier_movement = 'upgrade' then 1 end) as upgraded_out_count,
        count(case when tier_movement = 'downgrade' then 1 end) as downgraded_out_count
    from tiers
    where previous_tier is not null
    group by month_start_date, previous_tier
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('months.month_start_date', api.Column.translate_type('string')), "'|'", 'tier_names.tier']) }}
            as tier_month_id,
        months.month_start_date,
        months.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        months.is_partial_period,
        tier_names.tier,
        tier_names.tier_level,
        coalesce(aggregated.partner_count, 0) as partner_count,
        coalesce(aggregated.trailing_12m_net_revenue_reporting, 0) as trailing_12m_net_revenue_reporting,
        case
            when months.program_trailing_12m_net_revenue_reporting > 0
                then {{ safe_ratio('coalesce(aggregated.trailing_12m_net_revenue_reporting, 0)', 'months.program_trailing_12m_net_revenue_reporting') }}
        end as trailing_12m_revenue_share,
        coalesce(aggregated.net_revenue_reporting, 0) as net_revenue_reporting,
        case
            when months.program_net_revenue_reporting > 0
                then {{ safe_ratio('coalesce(aggregated.net_revenue_reporting, 0)', 'months.program_net_revenue_reporting') }}
        end as net_revenue_share,
        coalesce(aggregated.new_in_count, 0) as new_in_count,
        coalesce(aggregated.upgraded_in_count, 0) as upgraded_in_count,
        coalesce(aggregated.downgraded_in_count, 0) as downgraded_in_count,
        coalesce(departures.upgraded_out_count, 0) as upgraded_out_count,
        coalesce(departures.downgraded_out_count, 0) as downgraded_out_count,
        months.as_of_date
    from months
    cross join tier_names
    left join aggregated
        on months.month_start_date = aggregated.month_start_date
        and tier_names.tier = aggregated.tier
    left join departures
        on months.month_start_date = departures.month_start_date
        and tier_names.tier = departures.tier
)

select * from final
