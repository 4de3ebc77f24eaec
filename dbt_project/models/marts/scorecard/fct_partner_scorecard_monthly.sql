-- The partner scorecard: one row per partner and period with what a partner manager looks at in one place
-- (docs/metrics.md "Partner scorecard"): status, tier and segment; revenue, its growth and LTV to date; the
-- latest NPS answer and stated share of wallet as of the period; payout SLA breaches; traffic and customer
-- quality, clicks and earnings per click; target points; the effective commission rate; the last interaction; its
-- sub-partners in a two-tier program; P(alive) and predictive LTV of the period's fit (null without one). Every
-- value comes from the mart that owns it:
-- this model only joins them (and carries the latest NPS answer forward). No names or e-mails.
with

status as (
    select * from {{ ref('fct_partner_monthly_status') }}
),

segments as (
    select * from {{ ref('fct_partner_segments_monthly') }}
),

economics as (
    select * from {{ ref('fct_partner_economics_monthly') }}
),

traffic as (
    select * from {{ ref('fct_partner_traffic_quality_monthly') }}
),

relationship as (
    select * from {{ ref('fct_partner_relationship_monthly') }}
),

two_tier as (
    select * from {{ ref('fct_two_tier_monthly') }}
),

clicks as (
    select * from {{ ref('fct_partner_traffic_monthly') }}
),

predictions as (
    select * from {{ ref('fct_partner_predictions') }}
),

-- One row per partner and period: partner_points is the same on each of its metric rows.
target_points as (
    select
        partner_id,
        month_start_date,
        max(partner_points) as target_points,
        count(*) as targets_count
    from {{ ref('fct_partner_target_attainment_monthly') }}
    group by partner_id, month_start_date
),

nps_answers as (
    select * from {{ ref('int_partner_nps_monthly') }}
),

sla_breaches as (
    select
        partner_id,
        month_start_date,
        count(*) as payout_sla_breach_count
    from {{ ref('int_payout_sla_breaches') }}
    group by partner_id, month_start_date
),

-- LTV to date: cumulative net revenue up to and including the period.
with_ltv as (
    select
        status.*,
        sum(status.net_revenue_reporting) over (
            partition by status.partner_id
            order by status.month_start_date
            rows between unbounded preceding and current row
        ) as ltv_to_date_reporting
    from status
),

-- The latest answer as of each period: periods are grouped by how many answers (and stated shares) came up to
-- them; every period of a group carries that group's one answer (portable, no IGNORE NULLS).
nps_on_spine as (
    select
        with_ltv.partner_id,
        with_ltv.month_start_date,
        nps_answers.month_start_date as answered_month_start_date,
        nps_answers.score,
        nps_answers.score_change,
        nps_answers.share_of_wallet,
        case when nps_answers.share_of_wallet is not null then nps_answers.month_start_date end
            as share_stated_month_start_date
    from with_ltv
    left join nps_answers
        on with_ltv.partner_id = nps_answers.partner_id
        and with_ltv.month_start_date = nps_answers.month_start_date
),

nps_grouped as (
    select
        *,
        count(answered_month_start_date) over (
            partition by partner_id order by month_start_date rows between unbounded preceding and current row
        ) as answer_group,
        count(share_stated_month_start_date) over (
            partition by partner_id order by month_start_date rows between unbounded preceding and current row
        ) as share_group
    from nps_on_spine
),

nps_carried as (
    select
        partner_id,
        month_start_date,
        max(answered_month_start_date) over (partition by partner_id, answer_group) as nps_answered_month_start_date,
        max(score) over (partition by partner_id, answer_group) as nps_latest_score,
        max(score_change) over (partition by partner_id, answer_group) as nps_latest_score_change,
        max(share_of_wallet) over (partition by partner_id, share_group) as share_of_wallet_latest
    from nps_grouped
),

final as (
    select
        with_ltv.partner_month_id,
        with_ltv.partner_id,
        with_ltv.month_start_date,
        with_ltv.next_month_start_date,
        with_ltv.period_grain,
        with_ltv.is_partial_period,
        with_ltv.partner_type,
        with_ltv.region,
        with_ltv.partner_status,
        with_ltv.is_active,
        with_ltv.tier,
        segments.segment,
        with_ltv.net_revenue_reporting,
        economics.trailing_3m_growth,
        economics.trailing_3m_yoy_growth,
        with_ltv.ltv_to_date_reporting,
        nps_carried.nps_latest_score,
        nps_carried.nps_latest_score_change,
        nps_carried.nps_answered_month_start_date,
        nps_carried.share_of_wallet_latest,
        cast(coalesce(sla_breaches.payout_sla_breach_count, 0) as bigint) as payout_sla_breach_count,
        traffic.lead_conversion_rate_shrunk,
        traffic.refund_rate_by_amount_shrunk,
        traffic.repeat_purchase_rate,
        traffic.customer_net_value_reporting,
        clicks.clicks,
        clicks.click_to_lead_rate,
        clicks.earnings_per_click_reporting,
        cast(coalesce(target_points.targets_count, 0) as bigint) as targets_count,
        target_points.target_points,
        economics.effective_commission_rate,
        relationship.last_interaction_date,
        relationship.days_since_last_interaction,
        relationship.has_no_interaction_90d,
        -- A partner that is no parent has no sub-partners: 0, not unknown.
        coalesce(two_tier.sub_partners_count, 0) as sub_partners_count,
        coalesce(two_tier.active_sub_partners_count, 0) as active_sub_partners_count,
        coalesce(two_tier.sub_partner_net_revenue_reporting, 0) as sub_partner_net_revenue_reporting,
        coalesce(two_tier.second_tier_commission_reporting, 0) as second_tier_commission_reporting,
        with_ltv.reporting_currency,
        with_ltv.as_of_date,
        predictions.p_alive,
        predictions.predictive_ltv_reporting
    from with_ltv
    left join segments on with_ltv.partner_month_id = segments.partner_month_id
    left join economics on with_ltv.partner_month_id = economics.partner_month_id
    left join traffic on with_ltv.partner_month_id = traffic.partner_month_id
    left join relationship on with_ltv.partner_month_id = relationship.partner_month_id
    left join clicks on with_ltv.partner_month_id = clicks.partner_month_id
    left join predictions on with_ltv.partner_month_id = predictions.partner_month_id
    left join target_points
        on with_ltv.partner_id = target_points.partner_id
        and with_ltv.month_start_date = target_points.month_start_date
    left join two_tier
        on with_ltv.partner_id = two_tier.parent_partner_id
        and with_ltv.month_start_date = two_tier.month_start_date
    left join nps_carried
        on with_ltv.partner_id = nps_carried.partner_id
        and with_ltv.month_start_date = nps_carried.month_start_date
    left join sla_breaches
        on with_ltv.partner_id = sla_breaches.partner_id
        and with_ltv.month_start_date = sla_breaches.month_start_date
)

select * from final
