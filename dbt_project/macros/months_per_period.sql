{#- Calendar months in one period of the analysis grain: 1 (month) or 3 (quarter). -#}
{% macro months_per_period() -%}
    {{- return(3 if period_grain() == 'quarter' else 1) -}}
{%- endmacro %}
