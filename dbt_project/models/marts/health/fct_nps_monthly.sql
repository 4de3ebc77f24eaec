-- NPS per period (month or quarter) and cut (program, tier, segment, partner type, region; docs/metrics.md
-- "Partner health"): responses, responding partners (latest answer of the period each), promoters, passives,
-- detractors, NPS in points (null below var nps_min_responses responding partners), coverage of the active
-- partners, and the revenue-weighted share of wallet of the partners that stated one.
{% set min_responses = var('nps_min_responses') | int %}
with

partner_periods as (
    {{ partner_period_cuts() }}
),

answers as (
    select * from {{ ref('int_partner_nps_monthly') }}
),

answered as (
    select
        partner_periods.*,
        answers.partner_id is not null as has_answered,
        answers.response_count,
        answers.nps_category,
        answers.share_of_wallet,
        -- Revenue weight of a stated share: the partner's trailing-12-month net revenue, none when not positive.
        case
            when answers.share_of_wallet is not null and answers.trailing_12m_net_revenue_reporting > 0
                then answers.trailing_12m_net_revenue_reporting
        end as share_weight_reporting
    from partner_periods
    left join answers
        on partner_periods.partner_id = answers.partner_id
        and partner_periods.month_start_date = answers.month_start_date
),

dimensioned as (
    {% for dimension in health_dimensions() %}
    select '{{ dimension }}' as dimension_name, {{ dimension }} as dimension_value, answered.* from answered
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

counted as (
    select
        month_start_date,
        next_month_start_date,
        is_partial_period,
        dimension_name,
        dimension_value,
        count(case when is_active then 1 end) as partners_active_count,
        cast(coalesce(sum(response_count), 0) as bigint) as responses_count,
        count(case when has_answered then 1 end) as responding_partners_count,
        count(case when has_answered and is_active then 1 end) as responding_active_partners_count,
        count(case when nps_category = 'promoter' then 1 end) as promoters_count,
        count(case when nps_category = 'passive' then 1 end) as passives_count,
        count(case when nps_category = 'detractor' then 1 end) as detractors_count,
        count(share_of_wallet) as share_of_wallet_answers_count,
        sum(share_weight_reporting * share_of_wallet) as weighted_share_sum,
        sum(share_weight_reporting) as share_weight_sum,
        as_of_date
    from dimensioned
    group by month_start_date, next_month_start_date, is_partial_period, dimension_name, dimension_value, as_of_date
),

final as (
    select
        {{ dbt.concat([dbt.safe_cast('month_start_date', api.Column.translate_type('string')), "'|'", 'dimension_name', "'|'", 'dimension_value']) }}
            as nps_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        is_partial_period,
        dimension_name,
        dimension_value,
        partners_active_count,
        responses_count,
        responding_partners_count,
        responding_active_partners_count,
        promoters_count,
        passives_count,
        detractors_count,
        case
            when responding_partners_count >= {{ min_responses }}
                then 100.0 * (promoters_count - detractors_count) / cast(responding_partners_count as {{ type_double() }})
        end as nps,
        {{ period_rate('responding_active_partners_count', 'partners_active_count') }} as nps_coverage_rate,
        share_of_wallet_answers_count,
        {{ safe_ratio('weighted_share_sum', 'share_weight_sum') }} as share_of_wallet_weighted_average,
        as_of_date
    from counted
)

select * from final
