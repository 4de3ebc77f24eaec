-- Early-warning signals of every partner in the base at the end of a complete period (docs/metrics.md "At-risk
-- partners"): each reason's evidence, its flag, the risk score (points per reason, var at_risk_points) and the
-- days since the last sale the naive baseline ranks by. fct_partners_at_risk publishes the listed partners,
-- fct_early_warning_backtest scores every period with it. Only data dated up to the period's end goes in: every
-- window runs over earlier periods and the current one, never later ones (the backtest relies on it).
{% set window_periods = 3 // months_per_period() %}
{% set points = var('at_risk_points') %}
with

status as (
    select * from {{ ref('fct_partner_monthly_status') }}
),

scorecard as (
    select * from {{ ref('fct_partner_scorecard_monthly') }}
),

economics as (
    select * from {{ ref('fct_partner_economics_monthly') }}
),

relationship as (
    select * from {{ ref('fct_partner_relationship_monthly') }}
),

joined as (
    select
        status.partner_month_id,
        status.partner_id,
        status.month_start_date,
        status.next_month_start_date,
        status.period_grain,
        status.is_partial_period,
        status.is_in_base_at_end,
        relationship.period_end_date,
        status.last_activity_date,
        status.sale_count,
        status.gross_revenue_reporting,
        status.refunds_reporting,
        economics.trailing_3m_net_revenue_reporting,
        economics.previous_3m_net_revenue_reporting,
        economics.trailing_3m_growth,
        scorecard.nps_latest_score,
        scorecard.nps_latest_score_change,
        scorecard.nps_answered_month_start_date,
        scorecard.payout_sla_breach_count,
        scorecard.p_alive,
        relationship.days_since_last_interaction,
        relationship.has_no_interaction_90d,
        status.reporting_currency,
        status.as_of_date
    from status
    inner join relationship on status.partner_month_id = relationship.partner_month_id
    left join scorecard on status.partner_month_id = scorecard.partner_month_id
    left join economics on status.partner_month_id = economics.partner_month_id
),

-- Every partner has one row per period from its first one (the spine), so row windows are period windows.
windowed as (
    select
        *,
        min(case when sale_count > 0 then month_start_date end) over (
            partition by partner_id order by month_start_date rows between unbounded preceding and current row
        ) as first_sale_month_start_date,
        sum(sale_count) over (
            partition by partner_id order by month_start_date
            rows between {{ periods_per_year() - 1 }} preceding and current row
        ) as trailing_12m_sale_count,
        -- The partner's P(alive) at its previous fit (fits are weekly; most periods have none).
        {{ last_non_null_value(
            'p_alive',
            'partition by partner_id order by month_start_date rows between unbounded preceding and 1 preceding',
        ) }} as previous_p_alive,
        sum(payout_sla_breach_count) over (
            partition by partner_id order by month_start_date
            rows between {{ window_periods - 1 }} preceding and current row
        ) as trailing_3m_payout_sla_breach_count,
        sum(refunds_reporting) over (
            partition by partner_id order by month_start_date
            rows between {{ window_periods - 1 }} preceding and current row
        ) as trailing_3m_refunds_reporting,
        sum(gross_revenue_reporting) over (
            partition by partner_id order by month_start_date
            rows between {{ window_periods - 1 }} preceding and current row
        ) as trailing_3m_gross_revenue_reporting,
        sum(refunds_reporting) over (
            partition by partner_id order by month_start_date
            rows between {{ 2 * window_periods - 1 }} preceding and {{ window_periods }} preceding
        ) as previous_3m_refunds_reporting,
        sum(gross_revenue_reporting) over (
            partition by partner_id order by month_start_date
            rows between {{ 2 * window_periods - 1 }} preceding and {{ window_periods }} preceding
        ) as previous_3m_gross_revenue_reporting
    from joined
),

evidence as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        period_grain,
        period_end_date,
        trailing_3m_net_revenue_reporting,
        previous_3m_net_revenue_reporting,
        trailing_3m_growth,
        last_activity_date,
        {{ dbt.datediff('last_activity_date', 'period_end_date', 'day') }} as days_since_last_sale,
        -- The partner's usual rhythm: days observed in the trailing 12 months (from its first sale) per sale.
        {{ safe_ratio(
            'least(365, ' ~ dbt.datediff('first_sale_month_start_date', 'period_end_date', 'day') ~ ' + 1)',
            'trailing_12m_sale_count'
        ) }} as usual_days_between_sales,
        nps_latest_score,
        nps_latest_score_change,
        case
            when nps_answered_month_start_date >= cast({{ period_add(-periods_per_year() + 1, 'month_start_date') }} as date)
                then nps_answered_month_start_date
        end as nps_recent_answer_month_start_date,
        cast(coalesce(trailing_3m_payout_sla_breach_count, 0) as bigint) as trailing_3m_payout_sla_breach_count,
        days_since_last_interaction,
        has_no_interaction_90d,
        {{ safe_ratio('trailing_3m_refunds_reporting', 'trailing_3m_gross_revenue_reporting') }}
            as trailing_3m_refund_rate,
        {{ safe_ratio('previous_3m_refunds_reporting', 'previous_3m_gross_revenue_reporting') }}
            as previous_3m_refund_rate,
        -- P(alive) of the predictive fit dated in this period (null in periods without a fit).
        p_alive,
        previous_p_alive,
        reporting_currency,
        as_of_date
    from windowed
    -- Partners in the base at the end of a complete period: a partial period's trailing revenue would look like a
    -- decline.
    where is_in_base_at_end and not is_partial_period
),

flags as (
    select
        *,
        coalesce(trailing_3m_growth <= -{{ var('at_risk_revenue_decline') }}, false) as has_revenue_decline,
        coalesce(
            days_since_last_sale > {{ var('at_risk_gap_min_days') | int }}
            and days_since_last_sale > {{ var('at_risk_gap_multiple') }} * usual_days_between_sales,
            false
        ) as has_sale_gap,
        coalesce(
            nps_recent_answer_month_start_date is not null
            and (nps_latest_score <= 6 or nps_latest_score_change <= -{{ var('at_risk_nps_drop_points') | int }}),
            false
        ) as has_nps_negative,
        trailing_3m_payout_sla_breach_count >= {{ var('at_risk_payout_sla_breaches') | int }}
            as has_payout_sla_breaches,
        coalesce(
            trailing_3m_refund_rate >= {{ var('at_risk_refund_rate_min') }}
            and trailing_3m_refund_rate >= {{ var('at_risk_refund_rate_factor') }} * previous_3m_refund_rate,
            false
        ) as has_refund_rate_jump,
        coalesce(
            p_alive < {{ var('at_risk_p_alive_max') }}
            or previous_p_alive - p_alive >= {{ var('at_risk_p_alive_drop') }},
            false
        ) as has_p_alive_low
    from evidence
),

final as (
    select
        *,
        cast(
            {% for reason in points %}case when has_{{ reason.reason }} then {{ reason.points | int }} else 0 end{{ ' + ' if not loop.last }}{% endfor %}
            as integer
        ) as risk_score,
        cast(
            {% for reason in points %}case when has_{{ reason.reason }} then 1 else 0 end{{ ' + ' if not loop.last }}{% endfor %}
            as integer
        ) as reason_count,
        concat_ws(
            ',',
            {% for reason in points %}case when has_{{ reason.reason }} then '{{ reason.reason }}' end{{ ',' if not loop.last }}
            {% endfor %}
        ) as reason_codes
    from flags
)

select * from final
