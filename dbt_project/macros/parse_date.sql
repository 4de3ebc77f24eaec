{#- YYYY-MM-DD text -> date; null when unparseable. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    try_cast({{ column }} as date)
{%- endmacro %}
