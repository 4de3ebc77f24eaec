-- Relationship coverage per account manager and period (docs/metrics.md "Leads, traffic quality, partner
-- economics and relationship"): the partners each manager owns, how many were contacted in the 90 days before the
-- period's end, and the share. Internal only: the account manager is personal data (contract `personal: true`), so
-- this table stays in the work warehouse and is never published. The owner is the latest snapshot's.
with

relationship as (
    select * from {{ ref('fct_partner_relationship_monthly') }}
),

partners as (
    select * from {{ ref('int_partners_latest') }}
),

status as (
    select * from {{ ref('fct_partner_monthly_status') }}
),

owned as (
    select
        relationship.month_start_date,
        relationship.is_partial_period,
        coalesce(partners.account_manager, 'unassigned') as account_manager,
        relationship.partner_id,
        relationship.has_no_interaction_90d,
        status.is_active
    from relationship
    inner join partners on relationship.partner_id = partners.partner_id
    inner join status on relationship.partner_month_id = status.partner_month_id
    -- Partners whose contract ended before the period are nobody's to cover.
    where partners.terminated_date is null or partners.terminated_date >= relationship.month_start_date
),

final as (
    select
        month_start_date,
        is_partial_period,
        account_manager,
        count(*) as partners_count,
        count(case when is_active then 1 end) as active_partners_count,
        count(case when not has_no_interaction_90d then 1 end) as contacted_90d_count,
        {{ safe_ratio('count(case when not has_no_interaction_90d then 1 end)', 'count(*)') }} as coverage_rate_90d
    from owned
    group by month_start_date, is_partial_period, account_manager
)

select * from final
