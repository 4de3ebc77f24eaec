-- One row per partner and period in which it answered the NPS survey (docs/metrics.md "Partner health"): its
-- latest score of the period, the latest score of its previous answering period and the change, its tier at the
-- period, and the share of wallet it stated last in the period (null when it did not state one).
with

answers as (
    select * from {{ ref('int_partner_nps_monthly') }}
),

final as (
    select
        partner_month_id,
        partner_id,
        month_start_date,
        next_month_start_date,
        '{{ period_grain() }}' as period_grain,
        tier,
        response_count,
        score,
        nps_category,
        previous_month_start_date,
        previous_score,
        score_change,
        share_of_wallet,
        as_of_date
    from answers
)

select * from final
