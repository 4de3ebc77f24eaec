{#- Integer text -> integer; null when unparseable. -#}
{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    {{ dbt.safe_cast('trim(' ~ column ~ ')', api.Column.translate_type('integer')) }}
{%- endmacro %}

{#- dbt.safe_cast is a plain cast on PostgreSQL, which fails the build on a bad value: a shape check, then a cast
    that returns null on a data error such as an overflow (macro create_cast_functions). -#}
{% macro postgres__parse_integer(column) -%}
    case when trim({{ column }}) ~ '^[+-]?\d+$' then {{ target.schema }}.pra_try_integer(trim({{ column }})) end
{%- endmacro %}
