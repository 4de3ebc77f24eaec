-- Partner x period x interaction kind, only where the partner had interactions of that kind in the period: the
-- count and the last interaction date. The marts put it on the partner-period spine: fct_partner_interactions_monthly
-- with every kind of the contract (zero where none), fct_partner_relationship_monthly with the period's totals.
with

interactions as (
    select * from {{ ref('stg_program__interactions') }}
),

final as (
    select
        partner_id,
        cast({{ period_trunc('occurred_at') }} as date) as month_start_date,
        kind as interaction_kind,
        count(*) as interaction_count,
        max(cast(occurred_at as date)) as last_interaction_date
    from interactions
    group by partner_id, cast({{ period_trunc('occurred_at') }} as date), kind
)

select * from final
