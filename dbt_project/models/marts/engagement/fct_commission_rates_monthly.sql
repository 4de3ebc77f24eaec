-- Effective commission rate (net commission / net revenue) per period for the program and each tier
-- (docs/metrics.md "Leads, traffic quality, partner economics and relationship"). Periods start at the first
-- period with transaction data (int_program_months_spined).
{% set dimensions = ['program', 'tier'] %}
with

economics as (
    select * from {{ ref('fct_partner_economics_monthly') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

enriched as (
    select
        economics.month_start_date,
        economics.next_month_start_date,
        economics.is_partial_period,
        'all' as program,
        coalesce(economics.tier, 'none') as tier,
        economics.net_revenue_reporting,
        economics.commission_reporting,
        economics.reporting_currency,
        economics.as_of_date
    from economics
    inner join program_months on economics.month_start_date = program_months.month_start_date
),

dimensioned as (
    {% for dimension in dimensions %}
    select '{{ dimension }}' as dimension_name, {{ dimension }} as dimension_value, enriched.*
    from enriched
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

aggregated as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        dimension_name,
        dimension_value,
        count(*) as partner_count,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(commission_reporting) as commission_reporting,
        max(reporting_currency) as reporting_currency,
        max(as_of_date) as as_of_date
    from dimensioned
    group by month_start_date, next_month_start_date, is_partial_period, dimension_name, dimension_value
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('month_start_date', api.Column.translate_type('string')), "'|'", 'dimension_name', "'|'", 'dimension_value']) }}
            as commission_rate_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        dimension_name,
        dimension_value,
        partner_count,
        net_revenue_reporting,
        commission_reporting,
        case
            when net_revenue_reporting > 0 then {{ safe_ratio('commission_reporting', 'net_revenue_reporting') }}
        end as effective_commission_rate,
        reporting_currency,
        as_of_date
    from aggregated
)

select * from final
