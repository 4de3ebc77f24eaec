-- Strategic segmentation per partner and period: strategic, perspective, transactional (docs/metrics.md "Segments").
-- Strategic may be empty in a month (no partner above strategic_share of trailing revenue); that is a valid result.
{% set strategic_share = var('strategic_share') | float %}
{% set signup_months = var('perspective_signup_months') | int %}
{#- Growth compares the last 3 months with the 3 before: 3 periods at month grain, 1 at quarter grain. -#}
{% set growth_periods = [1, 3 // months_per_period()] | max %}
with

tiers as (
    select * from {{ ref('fct_partner_tiers_monthly') }}
),

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

growth as (
    select
        partner_month_id,
        sum(net_revenue_reporting) over (
            partition by partner_id order by month_start_date rows between {{ growth_periods - 1 }} preceding and current row
        ) as trailing_3m_net_revenue_reporting,
        coalesce(
            sum(net_revenue_reporting) over (
                partition by partner_id order by month_start_date rows between {{ 2 * growth_periods - 1 }} preceding and {{ growth_periods }} preceding
            ), 0
        ) as previous_3m_net_revenue_reporting
    from partner_months
),

shared as (
    select
        tiers.partner_month_id,
        tiers.partner_id,
        tiers.month_start_date,
        tiers.next_month_start_date,
        tiers.is_partial_period,
        tiers.signup_date,
        tiers.tier,
        tiers.trailing_12m_net_revenue_reporting,
        sum(tiers.trailing_12m_net_revenue_reporting) over (partition by tiers.month_start_date)
            as program_trailing_12m_net_revenue_reporting,
        growth.trailing_3m_net_revenue_reporting,
        growth.previous_3m_net_revenue_reporting,
        growth.trailing_3m_net_revenue_reporting - growth.previous_3m_net_revenue_reporting
            as growth_3m_net_revenue_reporting,
        tiers.signup_date >= cast({{ dbt.dateadd('month', -signup_months, 'tiers.next_month_start_date') }} as date)
            as is_recent_signup,
        tiers.as_of_date
    from tiers
    inner join growth on tiers.partner_month_id = growth.partner_month_id
),

strategic as (
    select
        *,
        case
            when program_trailing_12m_net_revenue_reporting > 0
                then {{ safe_ratio('trailing_12m_net_revenue_reporting', 'program_trailing_12m_net_revenue_reporting') }}
        end as trailing_12m_revenue_share,
        coalesce(
            program_trailing_12m_net_revenue_reporting > 0
            and trailing_12m_net_revenue_reporting
                > {{ '%.6f' | format(strategic_share) }} * program_trailing_12m_net_revenue_reporting,
            false
        ) as is_strategic
    from shared
),

growth_ranked as (
    select
        *,
        case
            when is_recent_signup and not is_strategic
                then cast(row_number() over (
                    partition by month_start_date, is_recent_signup and not is_strategic
                    order by growth_3m_net_revenue_reporting desc, partner_id asc
                ) as bigint)
        end as growth_rank,
        sum(case when is_recent_signup and not is_strategic then 1 else 0 end) over (partition by month_start_date)
            as recent_signup_partner_count
    from strategic
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        tier,
        trailing_12m_net_revenue_reporting,
        program_trailing_12m_net_revenue_reporting,
        trailing_12m_revenue_share,
        trailing_3m_net_revenue_reporting,
        previous_3m_net_revenue_reporting,
        growth_3m_net_revenue_reporting,
        is_recent_signup,
        growth_rank,
        is_strategic,
        (
            not is_strategic
            and is_recent_signup
            and growth_3m_net_revenue_reporting > 0
            and growth_rank <= ceiling(recent_signup_partner_count / 4.0)
        ) as is_perspective,
        case
            when is_strategic then 'strategic'
            when is_recent_signup
                and growth_3m_net_revenue_reporting > 0
                and growth_rank <= ceiling(recent_signup_partner_count / 4.0)
                then 'perspective'
            else 'transactional'
        end as segment,
        as_of_date
    from growth_ranked
)

select * from final
