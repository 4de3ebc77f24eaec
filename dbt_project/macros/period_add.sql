{#- expression + n periods. Quarters are added as 3 months, which every adapter's dateadd supports. -#}
{% macro period_add(n, expression) -%}
    {%- if n is number -%}
        {{ dbt.dateadd('month', n * months_per_period(), expression) }}
    {%- else -%}
        {{ dbt.dateadd('month', '(' ~ n ~ ') * ' ~ months_per_period(), expression) }}
    {%- endif -%}
{%- endmacro %}
