-- Lead volume and growth per period and dimension (program, tier, segment, partner type, region): leads created,
-- converted (by conversion period), the outcome of the period's created leads, growth against the previous period
-- and the same period a year earlier, conversion rate (docs/metrics.md "Leads, traffic quality, partner economics
-- and relationship"). Periods start at the first period with transaction data (int_program_months_spined).
{% set dimensions = ['program', 'tier', 'segment', 'partner_type', 'region'] %}
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

segments as (
    select * from {{ ref('fct_partner_segments_monthly') }}
),

lead_outcomes as (
    select * from {{ ref('int_partner_months_lead_outcomes') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

enriched as (
    select
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_partial_period,
        partner_months.as_of_date,
        'all' as program,
        coalesce(segments.tier, 'none') as tier,
        coalesce(segments.segment, 'none') as segment,
        coalesce(partner_months.partner_type, 'unknown') as partner_type,
        coalesce(partner_months.region, 'unknown') as region,
        partner_months.leads_created,
        partner_months.leads_converted,
        coalesce(lead_outcomes.created_converted_count, 0) as created_converted_count,
        coalesce(lead_outcomes.created_open_count, 0) as created_open_count,
        coalesce(lead_outcomes.created_lost_count, 0) as created_lost_count
    from partner_months
    inner join program_months on partner_months.month_start_date = program_months.month_start_date
    left join segments on partner_months.partner_month_id = segments.partner_month_id
    left join lead_outcomes
        on partner_months.partner_id = lead_outcomes.partner_id
        and partner_months.month_start_date = lead_outcomes.month_start_date
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
        sum(leads_created) as leads_created,
        sum(leads_converted) as leads_converted,
        sum(created_converted_count) as created_converted_count,
        sum(created_open_count) as created_open_count,
        sum(created_lost_count) as created_lost_count,
        max(as_of_date) as as_of_date
    from dimensioned
    group by month_start_date, next_month_start_date, is_partial_period, dimension_name, dimension_value
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('current_period.month_start_date', api.Column.translate_type('string')), "'|'", 'current_period.dimension_name', "'|'", 'current_period.dimension_value']) }}
            as lead_period_id,
        current_period.month_start_date,
        current_period.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        current_period.is_partial_period,
        current_period.dimension_name,
        current_period.dimension_value,
        cast(current_period.leads_created as bigint) as leads_created,
        cast(current_period.leads_converted as bigint) as leads_converted,
        cast(current_period.created_converted_count as bigint) as created_converted_count,
        cast(current_period.created_open_count as bigint) as created_open_count,
        cast(current_period.created_lost_count as bigint) as created_lost_count,
        cast(previous_period.leads_created as bigint) as previous_period_leads_created,
        cast(previous_year.leads_created as bigint) as previous_year_leads_created,
        {{ period_rate('current_period.leads_created - previous_period.leads_created', 'previous_period.leads_created', 'current_period.is_partial_period') }}
            as leads_created_growth,
        {{ period_rate('current_period.leads_created - previous_year.leads_created', 'previous_year.leads_created', 'current_period.is_partial_period') }}
            as leads_created_yoy_growth,
        {{ period_rate('current_period.created_converted_count', 'current_period.leads_created', 'current_period.is_partial_period') }}
            as lead_conversion_rate,
        current_period.as_of_date
    from aggregated as current_period
    left join aggregated as previous_period
        on current_period.dimension_name = previous_period.dimension_name
        and current_period.dimension_value = previous_period.dimension_value
        and previous_period.month_start_date = cast({{ period_add(-1, 'current_period.month_start_date') }} as date)
    left join aggregated as previous_year
        on current_period.dimension_name = previous_year.dimension_name
        and current_period.dimension_value = previous_year.dimension_value
        and previous_year.month_start_date = cast({{ period_add(-periods_per_year(), 'current_period.month_start_date') }} as date)
)

select * from final
