{#- Numeric text -> decimal(18, 4); null when unparseable. -#}
{% macro parse_number(column) -%}
    {{ return(adapter.dispatch('parse_number', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_number(column) -%}
    try_cast({{ column }} as decimal(18, 4))
{%- endmacro %}
