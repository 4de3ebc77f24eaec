{#- Whole days from `start_date` to `end_date`, in weeks (a double): the predictive models' time unit. -#}
{% macro weeks_between(start_date, end_date) -%}
    cast({{ dbt.datediff(start_date, end_date, 'day') }} as {{ type_double() }}) / 7
{%- endmacro %}
