{#- Periods in a year at the analysis grain (12 or 4): the length of every trailing-12-month window. -#}
{% macro periods_per_year() -%}
    {{- return(12 // months_per_period()) -}}
{%- endmacro %}
