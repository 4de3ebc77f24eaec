-- The at-risk list (docs/metrics.md "At-risk partners"): per complete period, the partners in the base whose
-- reasons add up to at least var at_risk_min_score points, with each reason's evidence in numbers, ordered by
-- the risk score (risk_rank 1 first). The signals are computed in int_partner_months_risk_signals; no names here
-- (the list with names and account managers is internal_partners_at_risk_contacts).
with

signals as (
    select * from {{ ref('int_partner_months_risk_signals') }}
    where risk_score >= {{ var('at_risk_min_score') | int }}
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        period_grain,
        period_end_date,
        cast(row_number() over (
            partition by month_start_date
            order by risk_score desc, days_since_last_sale desc, partner_id
        ) as bigint) as risk_rank,
        risk_score,
        reason_count,
        reason_codes,
        has_revenue_decline,
        has_sale_gap,
        has_nps_negative,
        has_payout_sla_breaches,
        has_no_interaction_90d,
        has_refund_rate_jump,
        has_p_alive_low,
        trailing_3m_net_revenue_reporting,
        previous_3m_net_revenue_reporting,
        trailing_3m_growth,
        last_activity_date,
        cast(days_since_last_sale as bigint) as days_since_last_sale,
        usual_days_between_sales,
        nps_latest_score,
        nps_latest_score_change,
        nps_recent_answer_month_start_date,
        trailing_3m_payout_sla_breach_count,
        cast(days_since_last_interaction as bigint) as days_since_last_interaction,
        trailing_3m_refund_rate,
        previous_3m_refund_rate,
        p_alive,
        previous_p_alive,
        reporting_currency,
        as_of_date
    from signals
)

select * from final
