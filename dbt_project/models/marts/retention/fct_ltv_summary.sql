-- Average historical LTV by program, signup cohort, current tier and partner type.
{% set dimensions = ['program', 'cohort', 'tier', 'partner_type'] %}
with

ltv as (
    select * from {{ ref('fct_partner_ltv') }}
),

dimensioned as (
    {% for dimension in dimensions %}
    select
        '{{ dimension }}' as dimension_name,
        {% if dimension == 'program' -%}
        'all'
        {%- elif dimension == 'cohort' -%}
        {{ dbt.safe_cast('cohort_month_start_date', api.Column.translate_type('string')) }}
        {%- elif dimension == 'tier' -%}
        coalesce(current_tier, 'none')
        {%- else -%}
        coalesce(partner_type, 'unknown')
        {%- endif %} as dimension_value,
        *
    from ltv
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.concat(['dimension_name', "'|'", 'dimension_value']) }} as ltv_summary_id,
        dimension_name,
        dimension_value,
        count(*) as partner_count,
        {{ exact_average('lifetime_net_revenue_reporting') }} as average_lifetime_net_revenue_reporting,
        {{ exact_average('lifetime_contribution_reporting') }} as average_lifetime_contribution_reporting,
        {{ exact_average('tenure_months') }} as average_tenure_months,
        {{ exact_average('average_monthly_net_revenue_reporting') }} as average_monthly_net_revenue_reporting,
        {{ exact_average('average_monthly_contribution_reporting') }} as average_monthly_contribution_reporting,
        '{{ period_grain() }}' as period_grain,
        max(reporting_currency) as reporting_currency,
        max(as_of_date) as as_of_date
    from dimensioned
    group by dimension_name, dimension_value
)

select * from final
