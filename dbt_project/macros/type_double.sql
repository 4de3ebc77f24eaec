{#- An 8-byte float for ratios (dbt.type_float() is 4-byte REAL on DuckDB, too coarse for shares and money). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
