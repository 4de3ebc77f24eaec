{#-
    The cuts of the partner-health marts (docs/metrics.md "Partner health"): the dimensions a period row is
    split by, and one row per partner and period of the program (from the first period with transaction data)
    with the partner's value of each, valid at the period: tier and segment of the period, partner type and region
    of the snapshot valid then, 'all' for the program total. A partner-period without a tier (terminated) is 'none'.
-#}
{% macro health_dimensions() -%}
    {{ return(['program', 'tier', 'segment', 'partner_type', 'region']) }}
{%- endmacro %}

{% macro partner_period_cuts() -%}
    select
        partner_months.partner_id,
        partner_months.month_start_date,
        partner_months.next_month_start_date,
        partner_months.is_partial_period,
        partner_months.is_active,
        'all' as program,
        coalesce(tiers.tier, 'none') as tier,
        coalesce(segments.segment, 'none') as segment,
        coalesce(partner_months.partner_type, 'unknown') as partner_type,
        coalesce(partner_months.region, 'unknown') as region,
        partner_months.as_of_date
    from {{ ref('int_partner_months_aggregated') }} as partner_months
    inner join {{ ref('int_program_months_spined') }} as program_months
        on partner_months.month_start_date = program_months.month_start_date
    left join {{ ref('int_partner_months_tiered') }} as tiers
        on partner_months.partner_month_id = tiers.partner_month_id
    left join {{ ref('fct_partner_segments_monthly') }} as segments
        on partner_months.partner_month_id = segments.partner_month_id
{%- endmacro %}
