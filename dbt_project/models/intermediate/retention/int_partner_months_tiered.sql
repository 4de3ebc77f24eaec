-- Point-in-time tier per partner and period, ranked on trailing-12-month net revenue (docs/metrics.md "Tiers").
-- Published as fct_partner_tiers_monthly; int_retention_counts_monthly counts by it.
-- A window frame over the complete partner-month spine keeps the trailing sum linear in rows.
{% set platinum = var('tier_platinum_share') | float %}
{% set gold = platinum + (var('tier_gold_share') | float) %}
{% set silver = gold + (var('tier_silver_share') | float) %}
{% set hysteresis = var('tier_demotion_hysteresis_periods') | int %}
with

partner_months as (
    select * from {{ ref('int_partner_months_aggregated') }}
),

partners as (
    select * from {{ ref('int_partners_latest') }}
),

trailing_revenue as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_partial_period,
        partner_months.net_revenue_reporting,
        sum(partner_months.net_revenue_reporting) over (
            partition by partner_months.partner_id order by partner_months.month_start_date
            rows between {{ periods_per_year() - 1 }} preceding and current row
        ) as trailing_12m_net_revenue_reporting,
        coalesce(partners.signup_date, partner_months.month_start_date) as signup_date,
        partners.terminated_date,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from partner_months
    left join partners on partner_months.partner_id = partners.partner_id
),

eligible as (
    select * from trailing_revenue
    where terminated_date is null or terminated_date >= next_month_start_date
),

ranked as (
    select
        *,
        cast(row_number() over (
            partition by month_start_date
            order by trailing_12m_net_revenue_reporting desc, signup_date asc, partner_id asc
        ) as bigint) as tier_rank,
        count(*) over (partition by month_start_date) as ranked_partner_count
    from eligible
),

raw_tiers as (
    select
        *,
        case
            when trailing_12m_net_revenue_reporting <= 0 then 4
            when tier_rank <= greatest(1, floor(ranked_partner_count * {{ '%.6f' | format(platinum) }})) then 1
            when tier_rank <= floor(ranked_partner_count * {{ '%.6f' | format(gold) }}) then 2
            when tier_rank <= floor(ranked_partner_count * {{ '%.6f' | format(silver) }}) then 3
            else 4
        end as raw_tier_level
    from ranked
),

held_tiers as (
    select
        *,
        {% if hysteresis > 0 %}
        -- Demotion hysteresis: the best raw tier of the last N+1 periods, so a demotion lands in the (N+1)-th period below.
        min(raw_tier_level) over (
            partition by partner_id order by month_start_date
            rows between {{ hysteresis }} preceding and current row
        )
        {% else %}
        raw_tier_level
        {% endif %} as held_tier_level
    from raw_tiers
),

levelled as (
    select
        *,
        case when trailing_12m_net_revenue_reporting <= 0 then 4 else held_tier_level end as tier_level
    from held_tiers
),

moved as (
    select
        *,
        lag(tier_level) over (partition by partner_id order by month_start_date) as previous_tier_level
    from levelled
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        net_revenue_reporting,
        trailing_12m_net_revenue_reporting,
        signup_date,
        tier_rank,
        ranked_partner_count,
        raw_tier_level,
        tier_level,
        case tier_level when 1 then 'platinum' when 2 then 'gold' when 3 then 'silver' else 'bronze' end as tier,
        case previous_tier_level
            when 1 then 'platinum' when 2 then 'gold' when 3 then 'silver' when 4 then 'bronze'
        end as previous_tier,
        case
            when previous_tier_level is null then 'new'
            when tier_level < previous_tier_level then 'upgrade'
            when tier_level > previous_tier_level then 'downgrade'
            else 'unchanged'
        end as tier_movement,
        reporting_currency,
        as_of_date
    from moved
)

select * from final
