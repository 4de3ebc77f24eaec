-- Rows that could not be staged, one reason each, with where they came from (file, row, field).
-- Holds raw personal data: internal only, never published. One branch per entity of the landing contract.
-- depends_on: {{ ref('base_program__partners') }}, {{ ref('base_program__transactions') }}
-- depends_on: {{ ref('base_program__leads') }}, {{ ref('base_program__payouts') }}
-- depends_on: {{ ref('base_program__nps_responses') }}, {{ ref('base_program__interactions') }}
-- depends_on: {{ ref('base_program__traffic_daily') }}, {{ ref('base_program__partner_targets') }}
-- depends_on: {{ ref('base_program__fx_rates') }}
with

{% for entity in landing_entities() %}
{%- set contract = landing_contract(entity) %}
{{ entity }} as (
    select
        '{{ entity }}' as entity,
        {%- set parts = [] %}
        {%- for k in contract.meta.key %}{% do parts.append(dbt.safe_cast(k, api.Column.translate_type('string'))) %}{% if not loop.last %}{% do parts.append("'|'") %}{% endif %}{% endfor %}
        {{ dbt.concat(parts) if parts | length > 1 else parts[0] }} as record_key,
        {% if 'partner_id' in contract.columns %}partner_id{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as partner_id,
        rejection_reason,
        rejected_field,
        _unreadable as rejection_detail,
        _partition_date,
        _source_file,
        _source_row
    from {{ ref('base_program__' ~ entity) }}
    where rejection_reason is not null
),
{% endfor %}

unioned as (
    {% for entity in landing_entities() %}
    select * from {{ entity }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.concat(["entity", "'|'", "_source_file", "'|'", dbt.safe_cast("_source_row", api.Column.translate_type('string'))]) }}
            as quarantine_id,
        *
    from unioned
)

select * from final
