-- Interactions per partner, period and kind (every kind of the landing contract, zero where none); the totals and
-- recency per partner and period are in fct_partner_relationship_monthly.
with

interactions as (
    select * from {{ ref('int_partner_months_interactions') }}
),

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

final as (
    select
        {{ dbt.concat(["interactions.partner_month_id", "'|'", "interactions.interaction_kind"]) }} as partner_month_kind_id,
        interactions.partner_month_id,
        interactions.partner_id,
        interactions.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        interactions.interaction_kind,
        interactions.interaction_count,
        partner_months.as_of_date
    from interactions
    inner join partner_months on interactions.partner_month_id = partner_months.partner_month_id
)

select * from final
