-- Rows that could not be staged, one reason each, with where they came from (file, row, field).
-- Holds raw personal data: internal only, never published.
{% set entities = {
    'partners': 'partner_id',
    'transactions': 'transaction_id',
    'leads': 'lead_id',
    'payouts': 'payout_id',
    'nps_responses': 'response_id',
    'interactions': 'interaction_id',
    'fx_rates': "currency",
} %}

with

{% for entity, key in entities.items() %}
{{ entity }} as (
    select
        '{{ entity }}' as entity,
        {{ dbt.safe_cast(key, api.Column.translate_type('string')) }} as record_key,
        {% if entity == 'fx_rates' %}cast(null as {{ dbt.type_string() }}){% else %}partner_id{% endif %} as partner_id,
        rejection_reason,
        rejected_field,
        _partition_date,
        _source_file,
        _source_row
    from {{ ref('base_program__' ~ entity) }}
    where rejection_reason is not null
),
{% endfor %}

unioned as (
    {% for entity in entities %}
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
