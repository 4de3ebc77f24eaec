-- Historical partner lifetime value to the as-of date: lifetime net revenue, contribution, tenure, monthly value.
-- Predictive LTV (a later issue) belongs in its own model; ltv_method says which method produced a row.
{% set gross_margin = var('gross_margin') | float %}
{#- Months from the cohort period's start to the end of the tenure-end period (a quarter counts 3). -#}
{% set tenure_months = dbt.datediff('ended.cohort_month_start_date', 'ended.tenure_end_month_start_date', 'month') ~ ' + ' ~ months_per_period() %}
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

tiers as (
    select * from {{ ref('fct_partner_tiers_monthly') }}
),

partners as (
    select * from {{ ref('dim_partners') }}
),

lifetime as (
    select
        partner_id,
        min(month_start_date) as cohort_month_start_date,
        max(month_start_date) as as_of_month_start_date,
        sum(gross_revenue_reporting) as lifetime_gross_revenue_reporting,
        sum(net_revenue_reporting) as lifetime_net_revenue_reporting,
        sum(commission_reporting) as lifetime_commission_reporting,
        count(case when is_active then 1 end) as active_month_count,
        max(reporting_currency) as reporting_currency,
        max(as_of_date) as as_of_date
    from partner_months
    group by partner_id
),

latest as (
    select
        classified.partner_id,
        classified.is_in_base_at_end,
        classified.last_activity_date,
        classified.terminated_date,
        classified.month_start_date
    from classified
    inner join lifetime
        on classified.partner_id = lifetime.partner_id
        and classified.month_start_date = lifetime.as_of_month_start_date
),

ended as (
    select
        lifetime.*,
        latest.is_in_base_at_end,
        latest.last_activity_date,
        -- Tenure ends at the as-of month while in the base (or never active), else at the last activity (or termination).
        case
            when latest.is_in_base_at_end then lifetime.as_of_month_start_date
            when latest.last_activity_date is not null
                then cast({{ period_trunc('latest.last_activity_date') }} as date)
            when latest.terminated_date is not null
                and latest.terminated_date >= lifetime.cohort_month_start_date
                then cast({{ period_trunc('latest.terminated_date') }} as date)
            else lifetime.as_of_month_start_date
        end as tenure_end_month_start_date
    from lifetime
    inner join latest on lifetime.partner_id = latest.partner_id
),

final as (
    select
        ended.partner_id,
        ended.cohort_month_start_date,
        partners.signup_date,
        partners.partner_type,
        partners.region,
        partners.status,
        tiers.tier as current_tier,
        ended.is_in_base_at_end as is_in_base,
        ended.last_activity_date,
        ended.tenure_end_month_start_date,
        {{ tenure_months }} as tenure_months,
        ended.active_month_count,
        ended.lifetime_gross_revenue_reporting,
        ended.lifetime_net_revenue_reporting,
        ended.lifetime_commission_reporting,
        cast(
            ended.lifetime_net_revenue_reporting * {{ '%.6f' | format(gross_margin) }} - ended.lifetime_commission_reporting
            as decimal(38, 10)
        ) as lifetime_contribution_reporting,
        {{ safe_ratio('ended.lifetime_net_revenue_reporting', tenure_months) }}
            as average_monthly_net_revenue_reporting,
        {{ safe_ratio('ended.lifetime_net_revenue_reporting * ' ~ ('%.6f' | format(gross_margin)) ~ ' - ended.lifetime_commission_reporting', tenure_months) }}
            as average_monthly_contribution_reporting,
        'historical' as ltv_method,
        '{{ period_grain() }}' as period_grain,
        ended.reporting_currency,
        ended.as_of_date
    from ended
    left join partners on ended.partner_id = partners.partner_id
    left join tiers
        on ended.partner_id = tiers.partner_id
        and ended.as_of_month_start_date = tiers.month_start_date
)

select * from final
