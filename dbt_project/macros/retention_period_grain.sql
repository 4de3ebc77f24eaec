{#- The analysis grain of the retention marts. Only 'month' is implemented; anything else stops the build. -#}
{% macro retention_period_grain() -%}
    {%- if var('period_grain') != 'month' -%}
        {{ exceptions.raise_compiler_error(
            "period_grain '" ~ var('period_grain') ~ "' is not implemented yet (only 'month'); see docs/metrics.md"
        ) }}
    {%- endif -%}
    month
{%- endmacro %}
