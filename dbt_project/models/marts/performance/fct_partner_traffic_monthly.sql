-- Traffic per partner and period: clicks, click-to-lead rate and earnings per click, with the program's pooled
-- values (docs/metrics.md "Traffic and contract targets"). Null, never 0, where the partner has no traffic rows in
-- the period (or the optional traffic_daily entity is absent).
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

traffic as (
    select * from {{ ref('int_partner_months_traffic') }}
),

joined as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        coalesce(traffic.traffic_days, 0) as traffic_days,
        traffic.clicks,
        traffic.unique_visitors,
        partner_months.leads_created,
        partner_months.commission_reporting,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from partner_months
    left join traffic
        on partner_months.partner_id = traffic.partner_id
        and partner_months.month_start_date = traffic.month_start_date
),

-- Pooled over the partners with clicks in the period, so partners without tracked traffic do not dilute it.
program as (
    select
        month_start_date,
        {{ safe_ratio('sum(leads_created)', 'sum(clicks)') }} as program_click_to_lead_rate,
        {{ safe_ratio('sum(commission_reporting)', 'sum(clicks)') }} as program_earnings_per_click_reporting
    from joined
    where clicks > 0
    group by month_start_date
),

final as (
    select
        joined.partner_month_id,
        joined.partner_id,
        joined.month_start_date,
        joined.next_month_start_date,
        joined.period_grain,
        joined.is_partial_period,
        joined.traffic_days,
        joined.clicks,
        joined.unique_visitors,
        joined.leads_created,
        joined.commission_reporting,
        {{ safe_ratio('joined.leads_created', 'joined.clicks') }} as click_to_lead_rate,
        {{ safe_ratio('joined.commission_reporting', 'joined.clicks') }} as earnings_per_click_reporting,
        program.program_click_to_lead_rate,
        program.program_earnings_per_click_reporting,
        joined.reporting_currency,
        joined.as_of_date
    from joined
    left join program on joined.month_start_date = program.month_start_date
)

select * from final
