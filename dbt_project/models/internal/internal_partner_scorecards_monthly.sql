-- The partner scorecard (fct_partner_scorecard_monthly) with each partner's name and account manager (latest
-- snapshot), for the partner managers. Internal only: names and account managers are personal data (contract
-- `personal: true`), so this table stays in the work warehouse and is never published; the PostgreSQL target
-- copies it into its `restricted` schema, which only the partner-management role reads (docs/scale-out.md).
with

scorecard as (
    select * from {{ ref('fct_partner_scorecard_monthly') }}
),

partners as (
    select * from {{ ref('int_partners_latest') }}
),

final as (
    select
        scorecard.*,
        partners.partner_name,
        coalesce(partners.account_manager, 'unassigned') as account_manager
    from scorecard
    left join partners on scorecard.partner_id = partners.partner_id
)

select * from final
