-- Program revenue bridge per period with NRR and GRR on partners revenue-active in the previous period.
-- Periods start at the first period with transaction data (int_program_months_spined).
with

bridge as (
    select * from {{ ref('fct_revenue_bridge_monthly') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

summed as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        sum(start_net_revenue_reporting) as start_net_revenue_reporting,
        sum(new_reporting) as new_reporting,
        sum(expansion_reporting) as expansion_reporting,
        sum(reactivation_reporting) as reactivation_reporting,
        sum(contraction_reporting) as contraction_reporting,
        sum(churned_reporting) as churned_reporting,
        sum(end_net_revenue_reporting) as end_net_revenue_reporting,
        count(case when movement_class = 'new' then 1 end) as new_partner_count,
        count(case when movement_class = 'expansion' then 1 end) as expansion_partner_count,
        count(case when movement_class = 'reactivation' then 1 end) as reactivation_partner_count,
        count(case when movement_class = 'contraction' then 1 end) as contraction_partner_count,
        count(case when movement_class = 'churned' then 1 end) as churned_partner_count,
        sum(case when is_active_in_previous_period then start_net_revenue_reporting else 0 end)
            as previous_active_start_reporting,
        sum(case when is_active_in_previous_period then end_net_revenue_reporting else 0 end)
            as previous_active_end_reporting,
        sum(
            case
                when is_active_in_previous_period
                    then least(end_net_revenue_reporting, start_net_revenue_reporting)
                else 0
            end
        ) as previous_active_retained_reporting,
        sum(case when had_revenue_before then end_net_revenue_reporting else 0 end) as existing_partner_revenue_reporting,
        max(reporting_currency) as reporting_currency,
        max(refund_policy) as refund_policy,
        max(as_of_date) as as_of_date
    from bridge
    where month_start_date in (select program_months.month_start_date from program_months)
    group by month_start_date, next_month_start_date, is_partial_period
),

final as (
    select
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        start_net_revenue_reporting,
        new_reporting,
        expansion_reporting,
        reactivation_reporting,
        contraction_reporting,
        churned_reporting,
        end_net_revenue_reporting,
        new_partner_count,
        expansion_partner_count,
        reactivation_partner_count,
        contraction_partner_count,
        churned_partner_count,
        previous_active_start_reporting,
        previous_active_end_reporting,
        {{ period_rate('previous_active_end_reporting', 'previous_active_start_reporting') }} as net_revenue_retention,
        {{ period_rate('previous_active_retained_reporting', 'previous_active_start_reporting') }}
            as gross_revenue_retention,
        existing_partner_revenue_reporting,
        case
            when start_net_revenue_reporting > 0
                then {{ period_rate('existing_partner_revenue_reporting', 'start_net_revenue_reporting') }} - 1
        end as existing_partner_revenue_growth,
        reporting_currency,
        refund_policy,
        as_of_date
    from summed
)

select * from final
