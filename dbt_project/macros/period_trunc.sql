{#- The first day of the period (month or quarter) that contains the date or timestamp expression. -#}
{% macro period_trunc(expression) -%}
    {{ dbt.date_trunc(period_grain(), expression) }}
{%- endmacro %}
