-- Partner economics per period: effective commission rate (net commission / net revenue) and the growth of the
-- partner's net revenue over the trailing 3 months against the 3 months before and against the same 3 months a
-- year earlier (docs/metrics.md "Leads, traffic quality, partner economics and relationship"). The trailing
-- windows come from fct_partner_segments_monthly (ranked partners: null once terminated); at quarter grain the
-- trailing 3 months are the quarter itself.
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

segments as (
    select * from {{ ref('fct_partner_segments_monthly') }}
),

joined as (
    select
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        segments.tier,
        partner_months.net_revenue_reporting,
        partner_months.commission_reporting,
        segments.trailing_3m_net_revenue_reporting,
        segments.previous_3m_net_revenue_reporting,
        partner_months.reporting_currency,
        partner_months.as_of_date
    from partner_months
    left join segments on partner_months.partner_month_id = segments.partner_month_id
),

final as (
    select
        current_period.partner_month_id,
        current_period.partner_id,
        current_period.month_start_date,
        current_period.next_month_start_date,
        current_period.period_grain,
        current_period.is_partial_period,
        current_period.tier,
        current_period.net_revenue_reporting,
        current_period.commission_reporting,
        case
            when current_period.net_revenue_reporting > 0
                then {{ safe_ratio('current_period.commission_reporting', 'current_period.net_revenue_reporting') }}
        end as effective_commission_rate,
        current_period.trailing_3m_net_revenue_reporting,
        current_period.previous_3m_net_revenue_reporting,
        case
            when current_period.previous_3m_net_revenue_reporting > 0
                then {{ safe_ratio('current_period.trailing_3m_net_revenue_reporting - current_period.previous_3m_net_revenue_reporting', 'current_period.previous_3m_net_revenue_reporting') }}
        end as trailing_3m_growth,
        previous_year.trailing_3m_net_revenue_reporting as previous_year_3m_net_revenue_reporting,
        case
            when previous_year.trailing_3m_net_revenue_reporting > 0
                then {{ safe_ratio('current_period.trailing_3m_net_revenue_reporting - previous_year.trailing_3m_net_revenue_reporting', 'previous_year.trailing_3m_net_revenue_reporting') }}
        end as trailing_3m_yoy_growth,
        current_period.reporting_currency,
        current_period.as_of_date
    from joined as current_period
    left join joined as previous_year
        on current_period.partner_id = previous_year.partner_id
        and previous_year.month_start_date = cast({{ period_add(-periods_per_year(), 'current_period.month_start_date') }} as date)
)

select * from final
