-- Partner counts per period and dimension (program, tier, partner type, region, ecosystem): S, N, churned, reactivated, E.
-- Each partner-period falls in exactly one value per dimension (its tier and attributes of that period), so the
-- invariant holds in every group. Periods start at the first period with transaction data (int_program_months_spined).
{% set dimensions = ['program', 'tier', 'partner_type', 'region', 'ecosystem'] %}
with

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

tiers as (
    select * from {{ ref('int_partner_months_tiered') }}
),

partner_months as (
    select * from {{ ref('int_partner_months_aggregated') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

enriched as (
    select
        classified.month_start_date,
        classified.next_month_start_date,
        classified.is_partial_period,
        classified.is_active,
        classified.is_in_base_at_start,
        classified.is_in_base_at_end,
        classified.is_new,
        classified.is_reactivated,
        classified.is_churned,
        classified.churn_event_count,
        classified.as_of_date,
        'all' as program,
        coalesce(tiers.tier, 'none') as tier,
        coalesce(partner_months.partner_type, 'unknown') as partner_type,
        coalesce(partner_months.region, 'unknown') as region,
        coalesce(partner_months.ecosystem, 'unknown') as ecosystem
    from classified
    inner join program_months on classified.month_start_date = program_months.month_start_date
    left join tiers on classified.partner_month_id = tiers.partner_month_id
    left join partner_months on classified.partner_month_id = partner_months.partner_month_id
),

dimensioned as (
    {% for dimension in dimensions %}
    select
        '{{ dimension }}' as dimension_name,
        {{ dimension }} as dimension_value,
        month_start_date,
        next_month_start_date,
        is_partial_period,
        is_active,
        is_in_base_at_start,
        is_in_base_at_end,
        is_new,
        is_reactivated,
        is_churned,
        churn_event_count,
        as_of_date
    from enriched
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('month_start_date', api.Column.translate_type('string')), "'|'", 'dimension_name', "'|'", 'dimension_value']) }}
            as retention_id,
        month_start_date,
        next_month_start_date,
        is_partial_period,
        dimension_name,
        dimension_value,
        count(case when is_in_base_at_start then 1 end) as partners_start_count,
        count(case when is_new then 1 end) as partners_new_count,
        cast(sum(churn_event_count) as bigint) as partners_churned_count,
        count(case when is_reactivated then 1 end) as partners_reactivated_count,
        count(case when is_in_base_at_end then 1 end) as partners_end_count,
        count(case when is_in_base_at_start and is_in_base_at_end then 1 end) as partners_retained_count,
        count(case when is_in_base_at_start and is_churned then 1 end) as partners_start_churned_count,
        count(case when is_new and is_churned then 1 end) as partners_new_churned_count,
        count(case when is_active then 1 end) as partners_active_count,
        as_of_date
    from dimensioned
    group by month_start_date, next_month_start_date, is_partial_period, dimension_name, dimension_value, as_of_date
)

select * from final
