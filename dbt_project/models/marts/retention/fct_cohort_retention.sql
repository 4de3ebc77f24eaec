-- Signup cohort x periods since signup (month or quarter): partners active, share retained, net revenue and
-- cumulative revenue per partner. At quarter grain the cohort is the signup quarter.
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

cohorted as (
    select
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.is_partial_period,
        partner_months.is_active,
        partner_months.net_revenue_reporting,
        classified.is_in_base_at_end,
        -- Cohort = signup period; the spine's first period if revenue came before signup (a data-quality edge case).
        min(partner_months.month_start_date) over (partition by partner_months.partner_id) as cohort_month_start_date,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from partner_months
    inner join classified on partner_months.partner_month_id = classified.partner_month_id
),

cohort_sizes as (
    select cohort_month_start_date, count(distinct partner_id) as cohort_partner_count
    from cohorted
    group by cohort_month_start_date
),

aggregated as (
    select
        cohort_month_start_date,
        {{ period_diff('cohort_month_start_date', 'month_start_date') }} as periods_since_signup,
        {{ dbt.datediff('cohort_month_start_date', 'month_start_date', 'month') }} as months_since_signup,
        month_start_date,
        is_partial_period,
        count(case when is_active then 1 end) as partners_active_count,
        count(case when is_in_base_at_end then 1 end) as partners_retained_count,
        sum(net_revenue_reporting) as net_revenue_reporting,
        max(reporting_currency) as reporting_currency,
        max(as_of_date) as as_of_date
    from cohorted
    group by cohort_month_start_date, month_start_date, is_partial_period
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('aggregated.cohort_month_start_date', api.Column.translate_type('string')), "'|'", dbt.safe_cast('aggregated.periods_since_signup', api.Column.translate_type('string'))]) }}
            as cohort_period_id,
        aggregated.cohort_month_start_date,
        aggregated.periods_since_signup,
        aggregated.months_since_signup,
        aggregated.month_start_date,
        '{{ period_grain() }}' as period_grain,
        aggregated.is_partial_period,
        cohort_sizes.cohort_partner_count,
        aggregated.partners_active_count,
        aggregated.partners_retained_count,
        {{ safe_ratio('aggregated.partners_active_count', 'cohort_sizes.cohort_partner_count') }} as active_share,
        {{ safe_ratio('aggregated.partners_retained_count', 'cohort_sizes.cohort_partner_count') }} as retained_share,
        aggregated.net_revenue_reporting,
        {{ safe_ratio('aggregated.net_revenue_reporting', 'cohort_sizes.cohort_partner_count') }}
            as net_revenue_per_partner_reporting,
        {{ safe_ratio(
            'sum(aggregated.net_revenue_reporting) over (partition by aggregated.cohort_month_start_date order by aggregated.month_start_date rows between unbounded preceding and current row)',
            'cohort_sizes.cohort_partner_count',
        ) }} as cumulative_net_revenue_per_partner_reporting,
        aggregated.reporting_currency,
        aggregated.as_of_date
    from aggregated
    inner join cohort_sizes on aggregated.cohort_month_start_date = cohort_sizes.cohort_month_start_date
)

select * from final
