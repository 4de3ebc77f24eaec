-- The current at-risk list for the partner managers (docs/metrics.md "At-risk partners"): the latest complete
-- period of fct_partners_at_risk with each partner's name and account manager (latest snapshot). Internal only:
-- names and account managers are personal data (contract `personal: true`), so this table stays in the work
-- warehouse and is never published; `pra` exports it as a restricted CSV (docs/operations.md, "At-risk list").
with

at_risk as (
    select * from {{ ref('fct_partners_at_risk') }}
),

partners as (
    select * from {{ ref('int_partners_latest') }}
),

latest as (
    select * from at_risk
    where month_start_date = (select max(month_start_date) from at_risk)
),

final as (
    select
        latest.period_end_date,
        latest.risk_rank,
        latest.partner_id,
        partners.partner_name,
        coalesce(partners.account_manager, 'unassigned') as account_manager,
        latest.risk_score,
        latest.reason_codes,
        latest.trailing_3m_growth,
        latest.days_since_last_sale,
        latest.usual_days_between_sales,
        latest.nps_latest_score,
        latest.nps_latest_score_change,
        latest.trailing_3m_payout_sla_breach_count,
        latest.days_since_last_interaction,
        latest.trailing_3m_refund_rate,
        latest.previous_3m_refund_rate
    from latest
    left join partners on latest.partner_id = partners.partner_id
)

select * from final
