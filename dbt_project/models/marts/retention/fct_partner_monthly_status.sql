-- fct_partner_monthly extended for BI: retention status flags and the point-in-time tier of each partner-period.
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

classified as (
    select * from {{ ref('int_partner_months_classified') }}
),

tiers as (
    select * from {{ ref('fct_partner_tiers_monthly') }}
),

final as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.region,
        partner_months.partner_type,
        partner_months.ecosystem,
        partner_months.gross_revenue_reporting,
        partner_months.refunds_reporting,
        partner_months.net_revenue_reporting,
        partner_months.commission_reporting,
        partner_months.sale_count,
        partner_months.refund_count,
        partner_months.leads_created,
        partner_months.leads_converted,
        partner_months.is_active,
        partner_months.is_partial_period,
        classified.partner_status,
        classified.is_new,
        classified.is_in_base_at_start and classified.is_in_base_at_end as is_retained,
        classified.is_churned,
        classified.is_reactivated,
        classified.is_in_base_at_start,
        classified.is_in_base_at_end,
        classified.churn_event_count,
        classified.churn_reason,
        classified.churn_date,
        classified.last_activity_date,
        tiers.tier,
        tiers.tier_rank,
        tiers.trailing_12m_net_revenue_reporting,
        partner_months.reporting_currency,
        partner_months.refund_policy,
        partner_months.as_of_date
    from partner_months
    inner join classified on partner_months.partner_month_id = classified.partner_month_id
    left join tiers on partner_months.partner_month_id = tiers.partner_month_id
)

select * from final
