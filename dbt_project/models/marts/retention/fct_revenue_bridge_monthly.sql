-- Revenue bridge per partner and period: previous vs current net revenue, one movement class per row.
-- Classes are ordered so every class is reachable and start + new + expansion + reactivation - contraction - churned = end.
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

lagged as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        is_partial_period,
        coalesce(
            lag(net_revenue_reporting) over (partition by partner_id order by month_start_date), 0
        ) as start_net_revenue_reporting,
        net_revenue_reporting as end_net_revenue_reporting,
        coalesce(
            max(case when net_revenue_reporting > 0 then 1 else 0 end) over (
                partition by partner_id order by month_start_date
                rows between unbounded preceding and 1 preceding
            ), 0
        ) = 1 as had_revenue_before,
        reporting_currency,
        refund_policy,
        as_of_date
    from partner_months
),

classified as (
    select
        *,
        case
            when start_net_revenue_reporting > 0 and end_net_revenue_reporting <= 0 then 'churned'
            when start_net_revenue_reporting <= 0 and end_net_revenue_reporting > 0 and not had_revenue_before then 'new'
            when start_net_revenue_reporting <= 0 and end_net_revenue_reporting > 0 then 'reactivation'
            when end_net_revenue_reporting > start_net_revenue_reporting then 'expansion'
            when end_net_revenue_reporting < start_net_revenue_reporting then 'contraction'
            else 'unchanged'
        end as movement_class
    from lagged
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        movement_class,
        start_net_revenue_reporting,
        end_net_revenue_reporting,
        end_net_revenue_reporting - start_net_revenue_reporting as net_revenue_change_reporting,
        case when movement_class = 'new' then end_net_revenue_reporting - start_net_revenue_reporting else 0 end
            as new_reporting,
        case when movement_class = 'expansion' then end_net_revenue_reporting - start_net_revenue_reporting else 0 end
            as expansion_reporting,
        case when movement_class = 'reactivation' then end_net_revenue_reporting - start_net_revenue_reporting else 0 end
            as reactivation_reporting,
        case when movement_class = 'contraction' then start_net_revenue_reporting - end_net_revenue_reporting else 0 end
            as contraction_reporting,
        case when movement_class = 'churned' then start_net_revenue_reporting - end_net_revenue_reporting else 0 end
            as churned_reporting,
        start_net_revenue_reporting > 0 as is_active_in_previous_period,
        had_revenue_before,
        reporting_currency,
        refund_policy,
        as_of_date
    from classified
)

select * from final
