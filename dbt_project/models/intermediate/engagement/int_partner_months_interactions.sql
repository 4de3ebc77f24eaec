-- Partner x period x interaction kind over the complete partner-period spine: every kind of the landing contract's
-- `allowed` list for interactions.kind (one home for the kinds), with the period's count and last interaction date.
{% set kinds = landing_contract('interactions')['columns'].get('kind', {}).get('allowed', []) %}
with

partner_months as (
    select * from {{ ref('int_partner_months_spined') }}
),

interactions as (
    select * from {{ ref('stg_program__interactions') }}
),

kinds as (
    {% for kind in kinds %}
    select '{{ kind }}' as interaction_kind{% if not loop.last %} union all{% endif %}
    {% else %}
    select cast(null as {{ api.Column.translate_type('string') }}) as interaction_kind where 1 = 0
    {% endfor %}
),

counted as (
    select
        partner_id,
        kind as interaction_kind,
        cast({{ period_trunc('occurred_at') }} as date) as month_start_date,
        count(*) as interaction_count,
        max(cast(occurred_at as date)) as last_interaction_date
    from interactions
    group by partner_id, kind, cast({{ period_trunc('occurred_at') }} as date)
),

final as (
    select
        {{ dbt.concat(["partner_months.partner_id", "'|'", dbt.safe_cast("partner_months.month_start_date", api.Column.translate_type('string'))]) }}
            as partner_month_id,
        partner_months.partner_id,
        partner_months.month_start_date,
        kinds.interaction_kind,
        coalesce(counted.interaction_count, 0) as interaction_count,
        counted.last_interaction_date
    from partner_months
    cross join kinds
    left join counted
        on partner_months.partner_id = counted.partner_id
        and partner_months.month_start_date = counted.month_start_date
        and kinds.interaction_kind = counted.interaction_kind
)

select * from final
