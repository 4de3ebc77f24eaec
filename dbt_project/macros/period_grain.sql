{#- The analysis grain of the period marts (var period_grain): 'month' or 'quarter'; anything else stops the build. -#}
{% macro period_grain() -%}
    {%- set grain = var('period_grain') | string | lower | trim -%}
    {%- if grain not in ('month', 'quarter') -%}
        {{ exceptions.raise_compiler_error(
            "period_grain '" ~ var('period_grain') ~ "' is not supported (use 'month' or 'quarter'); see docs/metrics.md"
        ) }}
    {%- endif -%}
    {{- return(grain) -}}
{%- endmacro %}
