{#-
    Rows of partitions after the run's window whose key (the entity's contract key, typed) also occurs in the
    window's raw rows. A window run re-judges them: a backfill of an older day may bring a key's first
    occurrence, which makes the later row a duplicate_key. Empty for a nightly run (no partition comes after its
    window), and for a snapshot entity (contract `snapshot`): its key is unique within one snapshot only, so an
    older snapshot never changes a later one's judgment. `typed`: the filtered relation holds the typed key
    columns (a judged model), not the raw text.
-#}
{% macro later_rows_sharing_window_keys(entity, typed=true) -%}
    {%- if landing_contract(entity).meta.get('snapshot') -%}
    1 = 0
    {%- else -%}
    _partition_date >= cast('{{ run_var("max_date") }}' as date)
    and ({{ contract_key_values(entity, raw=not typed) }}) in (
        select {{ contract_key_values(entity, raw=true) }} from {{ source('program', entity) }}
        where {{ partition_window_predicate() }}
    )
    {%- endif -%}
{%- endmacro %}

{#- The entity's contract key columns, comma-separated: as typed columns, or typed from their raw text. -#}
{% macro contract_key_values(entity, raw) -%}
    {%- set contract = landing_contract(entity) -%}
    {%- for name in contract.meta.get('key', []) -%}
        {{ contract_typed_value(name, contract.columns[name].type) if raw else name }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
