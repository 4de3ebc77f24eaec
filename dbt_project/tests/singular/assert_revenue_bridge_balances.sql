{{ config(meta={'dagster': {'ref': {'name': 'fct_revenue_bridge_summary_monthly'}}}) }}
-- The revenue bridge must close: start + new + expansion + reactivation - contraction - churned = end,
-- per partner-month and per month. Returns the rows that do not close (to 1/100 of a cent).
select
    'partner_month' as level,
    partner_month_id as row_id,
    start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
    - contraction_reporting - churned_reporting - end_net_revenue_reporting as difference
from {{ ref('fct_revenue_bridge_monthly') }}
where abs(
    start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
    - contraction_reporting - churned_reporting - end_net_revenue_reporting
) > 0.0001
    or new_reporting < 0 or expansion_reporting < 0 or reactivation_reporting < 0
    or contraction_reporting < 0 or churned_reporting < 0

union all

select
    'month' as level,
    {{ dbt.safe_cast('month_start_date', api.Column.translate_type('string')) }} as row_id,
    start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
    - contraction_reporting - churned_reporting - end_net_revenue_reporting as difference
from {{ ref('fct_revenue_bridge_summary_monthly') }}
where abs(
    start_net_revenue_reporting + new_reporting + expansion_reporting + reactivation_reporting
    - contraction_reporting - churned_reporting - end_net_revenue_reporting
) > 0.0001
