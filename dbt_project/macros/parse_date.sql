{#- YYYY-MM-DD text -> date; null when unparseable. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    try_cast({{ column }} as date)
{%- endmacro %}

{#- PostgreSQL's date input also reads words ('today', 'epoch') and other orders: only YYYY-MM-DD reaches it. -#}
{% macro postgres__parse_date(column) -%}
    case when trim({{ column }}) ~ '^\d{4}-\d{2}-\d{2}$' then {{ target.schema }}.pra_try_date(trim({{ column }})) end
{%- endmacro %}
