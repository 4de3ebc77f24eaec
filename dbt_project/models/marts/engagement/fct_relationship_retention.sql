-- Retention of partners with and without a joint initiative in the 12 months before the period, per period: a
-- comparison table, not a causal claim (docs/metrics.md "Leads, traffic quality, partner economics and
-- relationship"). Periods start at the first period with transaction data (int_program_months_spined).
with

relationship as (
    select * from {{ ref('fct_partner_relationship_monthly') }}
),

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

program_months as (
    select * from {{ ref('int_program_months_spined') }}
),

flagged as (
    select
        partner_month_id,
        month_start_date,
        next_month_start_date,
        is_partial_period,
        coalesce(
            sum(joint_initiative_count) over (
                partition by partner_id order by month_start_date
                rows between {{ periods_per_year() }} preceding and 1 preceding
            ), 0
        ) > 0 as has_joint_initiative_12m,
        as_of_date
    from relationship
),

groups as (
    select program_months.month_start_date, has_joint_initiative_12m
    from program_months
    cross join (select true as has_joint_initiative_12m union all select false as has_joint_initiative_12m) as flags
),

aggregated as (
    select
        flagged.month_start_date,
        flagged.has_joint_initiative_12m,
        count(case when classified.is_in_base_at_start then 1 end) as partners_start_count,
        count(case when classified.is_in_base_at_start and classified.is_in_base_at_end then 1 end)
            as partners_retained_count
    from flagged
    inner join classified on flagged.partner_month_id = classified.partner_month_id
    group by flagged.month_start_date, flagged.has_joint_initiative_12m
),

periods as (
    select distinct month_start_date, next_month_start_date, is_partial_period, as_of_date
    from flagged
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('groups.month_start_date', api.Column.translate_type('string')), "'|'", "case when groups.has_joint_initiative_12m then 'with' else 'without' end"]) }}
            as relationship_retention_id,
        groups.month_start_date,
        periods.next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        periods.is_partial_period,
        groups.has_joint_initiative_12m,
        coalesce(aggregated.partners_start_count, 0) as partners_start_count,
        coalesce(aggregated.partners_retained_count, 0) as partners_retained_count,
        {{ period_rate('coalesce(aggregated.partners_retained_count, 0)', 'coalesce(aggregated.partners_start_count, 0)', 'periods.is_partial_period') }}
            as customer_retention_rate,
        periods.as_of_date
    from groups
    inner join periods on groups.month_start_date = periods.month_start_date
    left join aggregated
        on groups.month_start_date = aggregated.month_start_date
        and groups.has_joint_initiative_12m = aggregated.has_joint_initiative_12m
)

select * from final
