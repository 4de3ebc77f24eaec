{#- The date the numbers are "as of": the last day of loaded data. Dagster passes it; ad-hoc runs use today. -#}
{% macro as_of_date() -%}
    {%- if run_var('as_of_date') -%}
        cast('{{ run_var("as_of_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
