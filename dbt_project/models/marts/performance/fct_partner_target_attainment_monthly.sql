-- Contract KPI attainment per partner, period and targeted metric: the actual from fct_partner_monthly, the summed
-- monthly targets, attainment = actual / target and review points by the var target_points, plus the partner's
-- total points of the period (docs/metrics.md "Traffic and contract targets"). Empty when the optional
-- partner_targets entity is absent.
{%- set bands = var('target_points') | sort(attribute='min_attainment', reverse=true) %}
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

targets as (
    select * from {{ ref('int_partner_months_targets') }}
),

joined as (
    select
        {{ dbt.concat(["partner_months.partner_month_id", "'|'", "targets.metric"]) }} as partner_target_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        targets.metric,
        targets.target_months,
        cast(targets.target_value as decimal(38, 4)) as target_value,
        cast(
            case targets.metric
                when 'net_revenue' then partner_months.net_revenue_reporting
                when 'leads' then partner_months.leads_created
                when 'sales' then partner_months.sale_count
            end as decimal(38, 4)
        ) as actual_value,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from targets
    inner join partner_months
        on targets.partner_id = partner_months.partner_id
        and targets.month_start_date = partner_months.month_start_date
),

-- A target covering only some months of the period is not compared with the whole period's actual.
rated as (
    select
        *,
        case
            when target_months = {{ months_per_period() }} then {{ period_rate('actual_value', 'target_value') }}
        end as attainment
    from joined
),

pointed as (
    select
        *,
        case
            when attainment is null then null
            {%- for band in bands %}
            when attainment >= {{ band.min_attainment }} then {{ band.points }}
            {%- endfor %}
            else 0
        end as attainment_points
    from rated
),

final as (
    select
        partner_target_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        period_grain,
        is_partial_period,
        metric,
        target_months,
        target_value,
        actual_value,
        attainment,
        cast(attainment_points as integer) as attainment_points,
        cast(sum(attainment_points) over (partition by partner_id, month_start_date) as integer) as partner_points,
        reporting_currency,
        as_of_date
    from pointed
)

select * from final
