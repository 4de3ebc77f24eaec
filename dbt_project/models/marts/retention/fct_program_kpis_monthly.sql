-- Program KPIs, one row per period from the first period with transaction data: the table a BI dashboard opens
-- first. Every figure comes from a documented mart.
with

retention as (
    select * from {{ ref('fct_retention_monthly') }}
    where dimension_name = 'program'
),

bridge as (
    select * from {{ ref('fct_revenue_bridge_summary_monthly') }}
),

concentration as (
    select * from {{ ref('fct_concentration_monthly') }}
),

tier_summary as (
    select * from {{ ref('fct_tier_summary_monthly') }}
    where tier = 'platinum'
),

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

monthly_value as (
    select
        month_start_date,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(commission_reporting) as commission_reporting,
        sum(case when is_first_month then 1 else 0 end) as joined_partner_count
    from (
        select
            month_start_date,
            net_revenue_reporting,
            commission_reporting,
            month_start_date = min(month_start_date) over (partition by partner_id) as is_first_month
        from partner_months
    ) as flagged
    group by month_start_date
),

cumulative_value as (
    select
        month_start_date,
        sum(net_revenue_reporting * {{ '%.6f' | format(var('gross_margin') | float) }} - commission_reporting) over (
            order by month_start_date rows between unbounded preceding and current row
        ) as cumulative_contribution_reporting,
        sum(joined_partner_count) over (
            order by month_start_date rows between unbounded preceding and current row
        ) as cumulative_partner_count
    from monthly_value
),

final as (
    select
        retention.month_start_date,
        retention.next_month_start_date,
        retention.period_grain,
        retention.is_partial_period,
        retention.partners_active_count as active_partner_count,
        retention.partners_start_count as partners_start_count,
        retention.partners_new_count as new_partner_count,
        retention.partners_churned_count as churned_partner_count,
        retention.partners_reactivated_count as reactivated_partner_count,
        retention.partners_end_count as partners_end_count,
        retention.churn_rate,
        retention.customer_retention_rate,
        bridge.net_revenue_retention,
        bridge.gross_revenue_retention,
        bridge.end_net_revenue_reporting as net_revenue_reporting,
        bridge.existing_partner_revenue_reporting,
        bridge.existing_partner_revenue_growth,
        concentration.top_20_pct_revenue_share,
        tier_summary.trailing_12m_revenue_share as platinum_revenue_share,
        {{ safe_ratio('cumulative_value.cumulative_contribution_reporting', 'cumulative_value.cumulative_partner_count') }}
            as average_ltv_to_date_reporting,
        bridge.reporting_currency,
        bridge.refund_policy,
        retention.as_of_date
    from retention
    inner join bridge on retention.month_start_date = bridge.month_start_date
    inner join concentration on retention.month_start_date = concentration.month_start_date
    left join tier_summary on retention.month_start_date = tier_summary.month_start_date
    inner join cumulative_value on retention.month_start_date = cumulative_value.month_start_date
)

select * from final
