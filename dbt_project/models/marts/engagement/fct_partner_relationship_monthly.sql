-- Relationship per partner and period: interactions, days since the last one at the period's end (its last day, or
-- the as-of date in the partial period), and whether none happened in the last 90 days
-- (docs/metrics.md "Leads, traffic quality, partner economics and relationship").
with

interactions as (
    select * from {{ ref('int_partner_months_interactions') }}
),

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

per_period as (
    select
        partner_id,
        month_start_date,
        sum(interaction_count) as interaction_count,
        sum(case when interaction_kind = 'joint_initiative' then interaction_count else 0 end) as joint_initiative_count,
        max(last_interaction_date) as last_interaction_in_period_date
    from interactions
    group by partner_id, month_start_date
),

joined as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        case
            when {{ as_of_date() }} < cast({{ dbt.dateadd('day', -1, 'partner_months.next_month_start_date') }} as date)
                then {{ as_of_date() }}
            else cast({{ dbt.dateadd('day', -1, 'partner_months.next_month_start_date') }} as date)
        end as period_end_date,
        cast(coalesce(per_period.interaction_count, 0) as bigint) as interaction_count,
        cast(coalesce(per_period.joint_initiative_count, 0) as bigint) as joint_initiative_count,
        max(per_period.last_interaction_in_period_date) over (
            partition by partner_months.partner_id
            order by partner_months.month_start_date
            rows between unbounded preceding and current row
        ) as last_interaction_date,
        partner_months.as_of_date
    from partner_months
    left join per_period
        on partner_months.partner_id = per_period.partner_id
        and partner_months.month_start_date = per_period.month_start_date
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        period_grain,
        is_partial_period,
        period_end_date,
        interaction_count,
        joint_initiative_count,
        last_interaction_date,
        cast({{ dbt.datediff('last_interaction_date', 'period_end_date', 'day') }} as bigint) as days_since_last_interaction,
        coalesce({{ dbt.datediff('last_interaction_date', 'period_end_date', 'day') }} >= 90, true)
            as has_no_interaction_90d,
        as_of_date
    from joined
)

select * from final
