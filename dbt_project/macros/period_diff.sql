{#- Whole periods from one period start to another (both already truncated to the grain). -#}
{% macro period_diff(start_expression, end_expression) -%}
    {%- if months_per_period() == 1 -%}
        {{ dbt.datediff(start_expression, end_expression, 'month') }}
    {%- else -%}
        cast({{ dbt.datediff(start_expression, end_expression, 'month') }} / {{ months_per_period() }} as {{ dbt.type_bigint() }})
    {%- endif -%}
{%- endmacro %}
