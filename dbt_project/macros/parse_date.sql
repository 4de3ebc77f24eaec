{#- YYYY-MM-DD text -> date; null when unparseable. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    try_cast({{ column }} as date)
{%- endmacro %}

{#- Spark also reads '2024' or '2024-05' as a date; DuckDB, like the contract, wants year, month and day. -#}
{% macro spark__parse_date(column) -%}
    case when trim({{ column }}) rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ].*)?$' then try_cast(trim({{ column }}) as date) end
{%- endmacro %}

{#- PostgreSQL's date input also reads words ('today', 'epoch') and other orders: only YYYY-MM-DD reaches it. -#}
{% macro postgres__parse_date(column) -%}
    case when trim({{ column }}) ~ '^\d{4}-\d{2}-\d{2}$' then {{ target.schema }}.pra_try_date(trim({{ column }})) end
{%- endmacro %}
