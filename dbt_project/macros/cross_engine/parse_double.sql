{#- Numeric text -> 8-byte float; null when unparseable. -#}
{% macro parse_double(column) -%}
    {{ return(adapter.dispatch('parse_double', 'partner_retention')(column)) }}
{%- endmacro %}

{% macro default__parse_double(column) -%}
    {{ dbt.safe_cast(column, type_double()) }}
{%- endmacro %}

{#- dbt.safe_cast is a plain cast on PostgreSQL, which fails the build on a bad value: decimal text only (not 'NaN'
    or 'Infinity'), then a cast that returns null on a data error (macro create_cast_functions). -#}
{% macro postgres__parse_double(column) -%}
    case
        when trim({{ column }}) ~ '^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$'
            then {{ target.schema }}.pra_try_double(trim({{ column }}))
    end
{%- endmacro %}
