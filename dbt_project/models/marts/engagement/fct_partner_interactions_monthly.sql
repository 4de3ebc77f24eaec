-- Interactions per partner, period and kind: every kind of the landing contract's `allowed` list for
-- interactions.kind (one home for the kinds), zero where none; the totals and recency per partner and period are
-- in fct_partner_relationship_monthly.
-- A view (macro view_materialization; a table on Spark): it is every partner-period times every kind, mostly zeros,
-- cheap to compute and the largest mart to store (measured in docs/benchmarks.md, "Since then: the interactions mart
-- a view"). Publication copies it into the published file as a table like every mart; tests and the gate read the view.
{{ config(materialized=view_materialization()) }}
{% set kinds = landing_contract('interactions')['columns'].get('kind', {}).get('allowed', []) %}
with

partner_months as (
    select * from {{ ref('fct_partner_monthly') }}
),

interactions as (
    select * from {{ ref('int_partner_months_interactions') }}
),

kinds as (
    {% for kind in kinds %}
    select '{{ kind }}' as interaction_kind{% if not loop.last %} union all{% endif %}
    {% else %}
    select cast(null as {{ api.Column.translate_type('string') }}) as interaction_kind where 1 = 0
    {% endfor %}
),

final as (
    select
        {{ dbt.concat(["partner_months.partner_month_id", "'|'", "kinds.interaction_kind"]) }} as partner_month_kind_id,
        partner_months.partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.period_grain,
        partner_months.is_partial_period,
        kinds.interaction_kind,
        coalesce(interactions.interaction_count, 0) as interaction_count,
        partner_months.as_of_date
    from partner_months
    cross join kinds
    left join interactions
        on partner_months.partner_id = interactions.partner_id
        and partner_months.month_start_date = interactions.month_start_date
        and kinds.interaction_kind = interactions.interaction_kind
)

select * from final
