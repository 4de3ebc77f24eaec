{{ config(severity='warn') }}
-- The source documents expect Platinum near 25-40% of trailing revenue. A warning to look at, never a rule that
-- reshapes tiers. Returns complete months outside the range.
select *
from {{ ref('fct_tier_summary_monthly') }}
where tier = 'platinum'
    and not is_partial_period
    and (trailing_12m_revenue_share < 0.25 or trailing_12m_revenue_share > 0.40)
